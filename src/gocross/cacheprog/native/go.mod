module gocross.invalid/cacheprog

go 1.24
