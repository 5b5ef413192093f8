"""The `dangjian` command line: its commands (main), the imports of files (rosters, duty rotas,
tables), the guided set-up and the administration commands."""
