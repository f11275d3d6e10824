-- The input of a batch run: customers of the north and east regions, newest first.
-- Open this file and run "PyML: Run Batch Prediction" on the churn model: DuckDB runs the query on
-- this machine (relative paths start at this file's folder) and the rows go through the model's image.
-- customer_id and region are not model inputs: pick them as key columns to carry them into the output.
SELECT customer_id, region, tenure_months, plan, monthly_charges, support_calls, paperless_billing
FROM '../tables/customers.csv'
WHERE region IN ('north', 'east')
ORDER BY tenure_months, customer_id
