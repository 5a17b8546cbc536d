from monitoring_as_code.cli import main

main(prog_name="mac")
