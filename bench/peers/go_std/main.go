// Go standard-library peer for the ringlane peer comparison: net/http,
// GOMAXPROCS=1, GET / -> 200 "Hello, World!" (text/plain), keep-alive.
//
//	hello_go_std ADDR     serve on ADDR (bench/peers/go_std/run passes 127.0.0.1:PORT)
//	hello_go_std -version print "go1.19.8" (the toolchain this binary was built with)
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

var (
	body          = []byte("Hello, World!")
	contentType   = []string{"text/plain"}
	contentLength = []string{strconv.Itoa(len(body))}
)

func hello(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Content-Length"] = contentLength
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hello_go_std ADDR | -version")
		os.Exit(2)
	}
	if os.Args[1] == "-version" {
		fmt.Println(runtime.Version())
		return
	}
	// One P: Go code runs on one OS thread at a time (the runtime still has
	// a few threads of its own: sysmon, threads parked in syscalls).
	runtime.GOMAXPROCS(1)

	// Exit 0 on the signals the suite sends (as nginx, h2o and node do).
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()

	server := &http.Server{Addr: os.Args[1], Handler: http.HandlerFunc(hello)}
	log.Fatal(server.ListenAndServe())
}
