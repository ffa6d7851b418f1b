// Gin peer for the ringlane peer comparison: gin.New() (no Logger, no
// Recovery middleware) in ReleaseMode, GOMAXPROCS=1,
// GET / -> 200 "Hello, World!" (text/plain), keep-alive.
//
//	hello_gin ADDR     serve on ADDR (bench/peers/gin/run passes 127.0.0.1:PORT)
//	hello_gin -version print "gin 1.8.1 (go1.19.8)" (what this binary was built from)
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
)

var body = []byte("Hello, World!")

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hello_gin ADDR | -version")
		os.Exit(2)
	}
	if os.Args[1] == "-version" {
		fmt.Printf("gin %s (%s)\n", strings.TrimPrefix(gin.Version, "v"), runtime.Version())
		return
	}
	// One P: Go code runs on one OS thread at a time (the runtime still has
	// a few threads of its own: sysmon, threads parked in syscalls).
	runtime.GOMAXPROCS(1)

	gin.SetMode(gin.ReleaseMode)
	router := gin.New() // no middleware at all (gin.Default() adds Logger and Recovery)
	router.GET("/", func(c *gin.Context) {
		c.Data(http.StatusOK, "text/plain", body)
	})

	// Exit 0 on the signals the suite sends (as nginx, h2o and node do).
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()

	// Plain net/http server around the router (router.Run would do the same
	// and only adds a debug print).
	server := &http.Server{Addr: os.Args[1], Handler: router}
	log.Fatal(server.ListenAndServe())
}
