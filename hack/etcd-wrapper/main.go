// Command etcd is etcd's own server entry point, built from its Go module so the tests
// get an etcd as new as the apiserver needs without a prebuilt download.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
