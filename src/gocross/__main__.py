from gocross.cli import main

main()
