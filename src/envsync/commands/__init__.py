"""One module per command: each builds a plan (or asks ``live/``) and returns what to print;
``cli.py`` parses arguments and prints, and the console script runs ``check`` without it."""
