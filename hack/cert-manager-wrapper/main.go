// Command cert-manager-controller runs cert-manager's own controllers (the code of the
// pinned github.com/cert-manager/cert-manager module, unmodified) out of cluster.
//
// Upstream's main lives in the nested module cmd/controller, which the Go module proxy
// does not serve, so this file stands in for it: it links only the controllers needed for
// SelfSigned and CA issuers and the Certificate lifecycle (each registers itself with
// pkg/controller in an init function), then does what upstream's Run does without leader
// election: build them, start the shared informers, run each control loop.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-controller: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	known := controllerpkg.Known()
	all := slices.Sorted(maps.Keys(known))

	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to manage (required)")
	namespace := flag.String("namespace", "", "only watch this namespace; empty watches all namespaces")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "kube-system", "namespace holding the Secrets that ClusterIssuers refer to")
	controllers := flag.String("controllers", strings.Join(all, ","), "comma-separated controllers to run, from: "+strings.Join(all, ","))
	readyFile := flag.String("ready-file", "", "created once every informer cache has synced")
	klog.InitFlags(flag.CommandLine) // -v and friends, as upstream
	flag.Parse()
	if *kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	logf.InitLogs()
	defer logf.FlushLogs()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	log := logf.FromContext(ctx)

	// The defaults of upstream's controller configuration (internal/apis/config/controller).
	factory, err := controllerpkg.NewContextFactory(ctx, controllerpkg.ContextOptions{
		Kubeconfig:         *kubeconfig,
		Namespace:          *namespace,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions: controllerpkg.IssuerOptions{
			ClusterResourceNamespace:        *clusterResourceNamespace,
			ClusterIssuerAmbientCredentials: true,
		},
		CertificateOptions: controllerpkg.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
		SchedulerOptions: controllerpkg.SchedulerOptions{MaxConcurrentChallenges: 60},
	})
	if err != nil {
		return err
	}

	loops := map[string]controllerpkg.Interface{}
	for _, name := range strings.Split(*controllers, ",") {
		name = strings.TrimSpace(name)
		if name == "" || (*namespace != "" && name == clusterissuers.ControllerName) {
			continue
		}
		construct, ok := known[name]
		if !ok {
			return fmt.Errorf("unknown controller %q; this build has: %s", name, strings.Join(all, ","))
		}
		if loops[name], err = construct(factory); err != nil {
			return fmt.Errorf("building controller %s: %w", name, err)
		}
	}

	// Every controller shares these factories; starting them after the controllers have
	// registered their informers is what upstream does too.
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())

	var wg sync.WaitGroup
	failed := make(chan error, len(loops))
	for name, loop := range loops {
		wg.Go(func() {
			log.V(logf.InfoLevel).Info("starting controller", "controller", name)
			if err := loop.Run(5, ctx); err != nil {
				failed <- fmt.Errorf("controller %s: %w", name, err)
			}
		})
	}

	if allSynced(shared.KubeSharedInformerFactory.WaitForCacheSync(ctx.Done())) &&
		allSynced(shared.SharedInformerFactory.WaitForCacheSync(ctx.Done())) && ctx.Err() == nil {
		names := slices.Sorted(maps.Keys(loops))
		log.Info("cert-manager controller ready", "controllers", names)
		if *readyFile != "" {
			if err := os.WriteFile(*readyFile, []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
				return err
			}
		}
	}

	select {
	case err := <-failed:
		if ctx.Err() == nil {
			cancel()
			wg.Wait()
			return err
		}
	case <-ctx.Done():
	}
	wg.Wait()
	log.Info("control loops exited")
	return nil
}

func allSynced[K comparable](caches map[K]bool) bool {
	return !slices.Contains(slices.Collect(maps.Values(caches)), false)
}
