// The server from the post that started gocross: it answers "hello world" on every path.
//
// The post's program listens on :8080. PORT (if set) chooses another port, so that many builds of it can
// be smoke-tested side by side; with PORT unset it does exactly what the post's code does.
package main

import (
	"fmt"
	"net/http"
	"os"
)

// version is stamped by `gocross build --version V` (-X main.version=V).
var version = "dev"

func handler() http.Handler {
	srv := http.NewServeMux()
	srv.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintln(w, "hello world")
	})
	return srv
}

func addr() string {
	if port := os.Getenv("PORT"); port != "" {
		return ":" + port
	}
	return ":8080"
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(version)
		return
	}
	fmt.Println("running...")
	_ = http.ListenAndServe(addr(), handler())
}
