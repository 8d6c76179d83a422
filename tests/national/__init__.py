"""The national-scale benchmark (issue 14): a generator of ten years of national data written
with PostgreSQL's COPY (`generate`), a page benchmark in-process (`pages`), a load test with
locust against gunicorn (`locustfile`, `load`) and the command that runs them all (`run`,
`make benchmark-national`). Outside the default run and CI."""
