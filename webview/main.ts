/** The test-prediction panel's browser code. */
const root = document.getElementById('root');
if (root) root.textContent = 'PyML test prediction panel';
