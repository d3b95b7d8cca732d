// kubectl for the tests, built from the k8s.io/kubectl module at the Kubernetes version the
// local control plane runs. Upstream's main package lives in k8s.io/kubernetes, whose staged
// modules a consumer cannot build directly; this wrapper calls the same command constructor.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		cmdutil.CheckErr(err)
		os.Exit(1)
	}
}
