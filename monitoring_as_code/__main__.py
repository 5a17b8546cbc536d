from monitoring_as_code.cli import run

run()
