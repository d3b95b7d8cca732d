package main

// The enforcement engine: istiod's discovery server (Istio's in-process server for tests)
// configures proxyless gRPC servers (grpc-go's xDS server), one per workload, and callers
// present SPIFFE client certificates over mTLS. What decides each call is istiod's real
// listener output enforced by grpc-go's implementation of Envoy's RBAC filter.
//
// What this engine can express: the method is always POST; paths are gRPC paths with a
// service and a method (/a/b); the destination port is the port a server listens on;
// request principals (JWT), CUSTOM and AUDIT are not enforced by proxyless gRPC. Ports: the
// servers listen on free ports, and every port the caller names (in calls and in policies)
// is mapped to one of them, the same way in both places.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	xdsgrpc "google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/emptypb"

	security "istio.io/api/security/v1beta1"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/host"
	"istio.io/istio/pkg/config/protocol"
	"istio.io/istio/pkg/config/schema/gvk"
	"istio.io/istio/pkg/istio-agent/grpcxds"
)

const (
	rootNamespace    = "istio-system"
	generationHeader = "x-nexus-judge-generation"
	generationPolicy = "nexus-judge-generation"
	probePrincipal   = "cluster.local/ns/istio-judge/sa/probe"
	probePath        = "/nexus.judge.Probe/Check"
	callTimeout      = 10 * time.Second
	configTimeout    = 30 * time.Second
)

type call struct {
	// Istio peer principal of the caller (no spiffe://); it becomes the client certificate's URI SAN.
	Principal string            `json:"principal"`
	Workload  workload          `json:"workload"`
	Path      string            `json:"path"`
	Port      int               `json:"port"`
	Headers   map[string]string `json:"headers,omitempty"`
}

type enforceRequest struct {
	// Every port calls and policies may name; fixed by the first enforce request.
	Ports []int  `json:"ports"`
	Calls []call `json:"calls"`
}

type callVerdict struct {
	Allowed bool   `json:"allowed"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type enforceAnswer struct {
	OK       bool          `json:"ok"`
	Verdicts []callVerdict `json:"verdicts"`
}

type enforcementEngine struct {
	owner      *failer
	ds         *xds.FakeDiscoveryServer
	ca         *workloadCA
	certDir    string
	ports      map[int]int // port named by callers -> port the servers listen on
	servers    map[string]*workloadServer
	generation int
	applied    []config.Config
	conns      map[string]*grpc.ClientConn
}

type workloadServer struct {
	ip     string
	server *xdsgrpc.GRPCServer
}

func startEnforcementEngine() (engine *enforcementEngine, err error) {
	owner := &failer{}
	defer func() {
		if r := recover(); r != nil {
			owner.cleanup()
			engine, err = nil, fmt.Errorf("istiod's discovery server did not start: %v", r)
		}
	}()
	ds := xds.NewFakeDiscoveryServer(owner, xds.FakeOptions{
		ListenerBuilder: func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
	})
	ca, err := newWorkloadCA()
	if err != nil {
		owner.cleanup()
		return nil, err
	}
	certDir := owner.TempDir()
	if err := ca.writeServerFiles(certDir, "spiffe://cluster.local/ns/istio-judge/sa/server"); err != nil {
		owner.cleanup()
		return nil, err
	}
	// Mesh-wide STRICT mTLS: the servers require a client certificate, so every call has a peer principal.
	if _, err := ds.Store().Create(config.Config{
		Meta: config.Meta{GroupVersionKind: gvk.PeerAuthentication, Name: "default", Namespace: rootNamespace},
		Spec: &security.PeerAuthentication{Mtls: &security.PeerAuthentication_MutualTLS{Mode: security.PeerAuthentication_MutualTLS_STRICT}},
	}); err != nil {
		owner.cleanup()
		return nil, err
	}
	return &enforcementEngine{owner: owner, ds: ds, ca: ca, certDir: certDir, servers: map[string]*workloadServer{}, conns: map[string]*grpc.ClientConn{}}, nil
}

func (e *enforcementEngine) close() {
	e.closeConns()
	for _, s := range e.servers {
		s.server.Stop()
	}
	e.owner.cleanup()
}

func (e *enforcementEngine) enforce(objects []json.RawMessage, req enforceRequest) any {
	if err := e.fixPorts(req); err != nil {
		return failure(err)
	}
	policies, err := e.policiesOf(objects)
	if err != nil {
		return failure(err)
	}
	for _, c := range req.Calls {
		if err := e.checkCall(c); err != nil {
			return failure(err)
		}
		if err := e.ensureServer(c.Workload); err != nil {
			return failure(err)
		}
	}
	if err := e.apply(policies); err != nil {
		return failure(err)
	}
	if err := e.awaitGeneration(req.Calls); err != nil {
		return failure(err)
	}
	verdicts := make([]callVerdict, 0, len(req.Calls))
	for _, c := range req.Calls {
		v, err := e.invoke(c, true)
		if err != nil {
			return failure(err)
		}
		verdicts = append(verdicts, v)
	}
	return enforceAnswer{OK: true, Verdicts: verdicts}
}

func (e *enforcementEngine) fixPorts(req enforceRequest) error {
	if e.ports != nil {
		if len(req.Ports) > 0 && !sameInts(req.Ports, e.portList()) {
			return fmt.Errorf("ports %v differ from the ports %v this judge serves; start another judge for other ports", req.Ports, e.portList())
		}
		return nil
	}
	if len(req.Ports) == 0 {
		return fmt.Errorf("ports: the first enforce request names every port calls and policies may use")
	}
	e.ports = map[int]int{}
	for _, p := range req.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("ports: %d is not a port (1-65535)", p)
		}
		free, err := freePort()
		if err != nil {
			return err
		}
		e.ports[p] = free
	}
	return nil
}

func (e *enforcementEngine) portList() []int {
	out := []int{}
	for p := range e.ports {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

func (e *enforcementEngine) checkCall(c call) error {
	if _, ok := e.ports[c.Port]; !ok {
		return fmt.Errorf("calls: port %d is not one of the ports %v", c.Port, e.portList())
	}
	if c.Workload.Namespace == "" {
		return fmt.Errorf("calls: workload.namespace is required")
	}
	if c.Principal == "" || strings.Contains(c.Principal, "://") {
		return fmt.Errorf("calls: principal %q must be an Istio principal such as cluster.local/ns/<ns>/sa/<sa> (the engine enforces mTLS, so every call has one)", c.Principal)
	}
	if parts := strings.Split(strings.TrimPrefix(c.Path, "/"), "/"); !strings.HasPrefix(c.Path, "/") || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("calls: path %q is not a gRPC path /<service>/<method>", c.Path)
	}
	return nil
}

// policiesOf decodes the AuthorizationPolicies and maps the ports they name to the ports
// the servers listen on.
func (e *enforcementEngine) policiesOf(objects []json.RawMessage) ([]config.Config, error) {
	decodedObjects, err := decodeAll(objects)
	if err != nil {
		return nil, err
	}
	out := make([]config.Config, 0, len(decodedObjects))
	for _, d := range decodedObjects {
		if d.config.GroupVersionKind.Kind != gvk.AuthorizationPolicy.Kind {
			return nil, fmt.Errorf("the engine takes AuthorizationPolicies only (mTLS is STRICT mesh-wide); got %s %s/%s",
				d.config.GroupVersionKind.Kind, d.config.Namespace, d.config.Name)
		}
		if d.config.Namespace == rootNamespace && d.config.Name == generationPolicy {
			return nil, fmt.Errorf("%s/%s is the judge's own policy name", rootNamespace, generationPolicy)
		}
		spec := d.config.Spec.(*security.AuthorizationPolicy)
		if err := e.mapPorts(spec); err != nil {
			return nil, fmt.Errorf("AuthorizationPolicy %s/%s: %v", d.config.Namespace, d.config.Name, err)
		}
		cfg := d.config
		cfg.GroupVersionKind = gvk.AuthorizationPolicy
		cfg.ResourceVersion = ""
		out = append(out, cfg)
	}
	return out, nil
}

func (e *enforcementEngine) mapPorts(spec *security.AuthorizationPolicy) error {
	mapList := func(ports []string) ([]string, error) {
		out := make([]string, 0, len(ports))
		for _, p := range ports {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("port %q is not a number", p)
			}
			real, ok := e.ports[n]
			if !ok {
				return nil, fmt.Errorf("port %d is not one of the ports %v", n, e.portList())
			}
			out = append(out, strconv.Itoa(real))
		}
		return out, nil
	}
	var err error
	for _, rule := range spec.GetRules() {
		for _, to := range rule.GetTo() {
			op := to.GetOperation()
			if op == nil {
				continue
			}
			if op.Ports, err = mapList(op.Ports); err != nil {
				return err
			}
			if op.NotPorts, err = mapList(op.NotPorts); err != nil {
				return err
			}
		}
		for _, when := range rule.GetWhen() {
			if when.GetKey() != "destination.port" {
				continue
			}
			if when.Values, err = mapList(when.Values); err != nil {
				return err
			}
			if when.NotValues, err = mapList(when.NotValues); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureServer starts the proxyless gRPC server of a workload on first use: a node with
// the workload's namespace and labels in its metadata, an address of its own, and a
// service whose endpoints are that address on every port.
func (e *enforcementEngine) ensureServer(w workload) error {
	key := workloadKey(w)
	if _, ok := e.servers[key]; ok {
		return nil
	}
	index := len(e.servers) + 1
	if index > 250*250 {
		return fmt.Errorf("too many workloads")
	}
	ip := fmt.Sprintf("127.0.%d.%d", 1+index/250, 1+index%250)
	name := fmt.Sprintf("w%d", index)
	hostname := fmt.Sprintf("%s.%s.svc.cluster.local", name, w.Namespace)
	ports := model.PortList{}
	for _, requested := range e.portList() {
		ports = append(ports, &model.Port{Name: fmt.Sprintf("grpc-%d", requested), Port: e.ports[requested], Protocol: protocol.GRPC})
	}
	e.ds.MemRegistry.AddService(&model.Service{
		Attributes:     model.ServiceAttributes{Name: name, Namespace: w.Namespace},
		Hostname:       host.Name(hostname),
		DefaultAddress: ip,
		Ports:          ports,
	})
	for _, p := range ports {
		e.ds.MemRegistry.AddEndpoint(host.Name(hostname), p.Name, p.Port, ip, p.Port)
	}
	bootstrap, err := grpcxds.GenerateBootstrap(grpcxds.GenerateBootstrapOptions{
		Node: &model.Node{
			ID: fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", ip, name, w.Namespace, w.Namespace),
			Metadata: &model.BootstrapNodeMetadata{NodeMetadata: model.NodeMetadata{
				Namespace: w.Namespace,
				Generator: "grpc",
				ClusterID: constants.DefaultClusterName,
				Labels:    w.Labels,
			}},
		},
		DiscoveryAddress: e.ds.Listener.Addr().String(),
		CertDir:          e.certDir,
	})
	if err != nil {
		return err
	}
	bootstrapJSON, err := json.Marshal(bootstrap)
	if err != nil {
		return err
	}
	creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return err
	}
	server, err := xdsgrpc.NewGRPCServer(grpc.Creds(creds), xdsgrpc.BootstrapContentsForTesting(bootstrapJSON), grpc.UnknownServiceHandler(answerOK))
	if err != nil {
		return err
	}
	for _, p := range ports {
		lis, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p.Port)))
		if err != nil {
			server.Stop()
			return fmt.Errorf("workload %s: %v", key, err)
		}
		go func() { _ = server.Serve(lis) }()
	}
	e.servers[key] = &workloadServer{ip: ip, server: server}
	return nil
}

// answerOK answers every method: the servers have no services, so whatever RBAC lets
// through reaches this handler and succeeds.
func answerOK(_ any, stream grpc.ServerStream) error {
	var in emptypb.Empty
	if err := stream.RecvMsg(&in); err != nil {
		return err
	}
	return stream.SendMsg(&emptypb.Empty{})
}

// apply replaces the policies of the previous request with these, then moves the
// generation policy (a DENY in the root namespace matching only the generation header
// with this generation's value) last, so a server denying a probe of this generation runs
// a configuration that holds all of them.
func (e *enforcementEngine) apply(policies []config.Config) error {
	store := e.ds.Store()
	for _, old := range e.applied {
		if err := store.Delete(old.GroupVersionKind, old.Name, old.Namespace, nil); err != nil {
			return fmt.Errorf("removing %s/%s: %v", old.Namespace, old.Name, err)
		}
	}
	e.applied = nil
	for _, p := range policies {
		if _, err := store.Create(p); err != nil {
			return fmt.Errorf("AuthorizationPolicy %s/%s: %v", p.Namespace, p.Name, err)
		}
		e.applied = append(e.applied, p)
	}
	e.generation++
	marker := config.Config{
		Meta: config.Meta{GroupVersionKind: gvk.AuthorizationPolicy, Name: generationPolicy, Namespace: rootNamespace},
		Spec: &security.AuthorizationPolicy{
			Action: security.AuthorizationPolicy_DENY,
			Rules: []*security.Rule{{When: []*security.Condition{{
				Key:    "request.headers[" + generationHeader + "]",
				Values: []string{e.generationValue()},
			}}}},
		},
	}
	if e.generation == 1 {
		_, err := store.Create(marker)
		return err
	}
	_, err := store.Update(marker)
	return err
}

func (e *enforcementEngine) generationValue() string {
	return "g" + strconv.Itoa(e.generation)
}

// awaitGeneration waits until every server the calls reach denies a probe of the current
// generation by the generation policy, on fresh connections.
func (e *enforcementEngine) awaitGeneration(calls []call) error {
	e.closeConns()
	targets := map[string]call{}
	for _, c := range calls {
		for requested := range e.ports {
			probe := call{Principal: probePrincipal, Workload: c.Workload, Path: probePath, Port: requested,
				Headers: map[string]string{generationHeader: e.generationValue()}}
			targets[workloadKey(c.Workload)+"|"+strconv.Itoa(requested)] = probe
		}
	}
	want := fmt.Sprintf("%q", rootNamespace+"-"+generationPolicy+"-0")
	deadline := time.Now().Add(configTimeout)
	for key, probe := range targets {
		for {
			v, err := e.invoke(probe, false)
			if err == nil && v.Code == codes.PermissionDenied.String() && strings.Contains(v.Message, want) {
				break
			}
			if time.Now().After(deadline) {
				last := fmt.Sprintf("%s: %s", v.Code, v.Message)
				if err != nil {
					last = err.Error()
				}
				return fmt.Errorf("server %s did not take generation %d within %s (last probe: %s)", key, e.generation, configTimeout, last)
			}
			e.closeConns()
			time.Sleep(5 * time.Millisecond)
		}
	}
	e.closeConns()
	return nil
}

// invoke makes one call over mTLS with the caller's certificate. Only OK and
// PermissionDenied are verdicts; anything else is reported with the code. Calls wait for
// the server to be ready; probes fail fast and are retried.
func (e *enforcementEngine) invoke(c call, waitForReady bool) (callVerdict, error) {
	server := e.servers[workloadKey(c.Workload)]
	if server == nil {
		return callVerdict{}, fmt.Errorf("no server for workload %s", workloadKey(c.Workload))
	}
	target := net.JoinHostPort(server.ip, strconv.Itoa(e.ports[c.Port]))
	conn, err := e.conn(c.Principal, target)
	if err != nil {
		return callVerdict{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if len(c.Headers) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, metadata.New(c.Headers))
	}
	err = conn.Invoke(ctx, c.Path, &emptypb.Empty{}, &emptypb.Empty{}, grpc.WaitForReady(waitForReady))
	st, _ := status.FromError(err)
	v := callVerdict{Allowed: st.Code() == codes.OK, Code: st.Code().String(), Message: st.Message()}
	if st.Code() != codes.OK && st.Code() != codes.PermissionDenied {
		return v, fmt.Errorf("call %s %s from %s: %s: %s", target, c.Path, c.Principal, st.Code(), st.Message())
	}
	return v, nil
}

func (e *enforcementEngine) conn(principal, target string) (*grpc.ClientConn, error) {
	key := principal + "|" + target
	if conn, ok := e.conns[key]; ok {
		return conn, nil
	}
	tlsConfig, err := e.ca.clientTLS(principal)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("passthrough:///"+target, grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)))
	if err != nil {
		return nil, err
	}
	e.conns[key] = conn
	return conn, nil
}

func (e *enforcementEngine) closeConns() {
	for key, conn := range e.conns {
		_ = conn.Close()
		delete(e.conns, key)
	}
}

func workloadKey(w workload) string {
	keys := make([]string, 0, len(w.Labels))
	for k, v := range w.Labels {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return w.Namespace + "{" + strings.Join(keys, ",") + "}"
}

func freePort() (int, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port, nil
}

func sameInts(a, b []int) bool {
	a = append([]int(nil), a...)
	sort.Ints(a)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// failer is what Istio's test servers report to: a failure stops the request that caused
// it, and cleanups run when the engine closes.
type failer struct {
	mu       sync.Mutex
	cleanups []func()
}

func (f *failer) Fail()                             { panic("istiod's test server failed") }
func (f *failer) FailNow()                          { panic("istiod's test server failed") }
func (f *failer) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (f *failer) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (f *failer) Log(args ...any)                   { fmt.Fprintln(os.Stderr, args...) }
func (f *failer) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (f *failer) Helper()                           {}
func (f *failer) Skip(args ...any)                  { panic(fmt.Sprint(args...)) }
func (f *failer) TempDir() string {
	dir, err := os.MkdirTemp("", "istio-judge-")
	if err != nil {
		panic(err)
	}
	f.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (f *failer) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *failer) cleanup() {
	f.mu.Lock()
	fns := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
