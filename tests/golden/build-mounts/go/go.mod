module example.com/server

go 1.22

require github.com/gorilla/mux v1.8.1
require golang.org/x/text v0.14.0
