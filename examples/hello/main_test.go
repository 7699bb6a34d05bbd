package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHelloWorld(t *testing.T) {
	ts := httptest.NewServer(handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != "hello world\n" {
		t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, "hello world\n")
	}
}

func TestAddrDefaultsToPostsPort(t *testing.T) {
	t.Setenv("PORT", "")
	if got := addr(); got != ":8080" {
		t.Fatalf("addr() = %q, want :8080", got)
	}
	t.Setenv("PORT", "9999")
	if got := addr(); got != ":9999" {
		t.Fatalf("addr() = %q, want :9999", got)
	}
}
