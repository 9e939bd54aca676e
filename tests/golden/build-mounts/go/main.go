package main

func main() { println("hello from main.go") }
