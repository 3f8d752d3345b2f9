module fl-e2e-real/modzip

go 1.23

require golang.org/x/mod v0.22.0
