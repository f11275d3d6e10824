import type { TemplateId, TemplateSpec } from '../types';
import { NUMPY } from './numpy';
import { SKLEARN } from './sklearn';
import { TORCH } from './torch';

/** Every template, in the order the wizard shows them. */
export const TEMPLATES: Readonly<Record<TemplateId, TemplateSpec>> = { numpy: NUMPY, sklearn: SKLEARN, torch: TORCH };
