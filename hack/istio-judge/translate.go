package main

import (
	"encoding/json"
	"fmt"
	"sort"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"istio.io/istio/pilot/pkg/config/memory"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/security/authz/builder"
	"istio.io/istio/pilot/pkg/security/trustdomain"
	"istio.io/istio/pkg/config/host"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/config/schema/collections"
)

type workload struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

type meshService struct {
	Hostname  string `json:"hostname"`
	Namespace string `json:"namespace"`
}

type translateRequest struct {
	Workload workload `json:"workload"`
	// MeshConfig as in istiod's mesh config (JSON), applied over Istio's defaults.
	MeshConfig json.RawMessage `json:"meshConfig,omitempty"`
	// Services that exist in the mesh (an ext_authz provider must name one).
	Services    []meshService `json:"services,omitempty"`
	TrustDomain string        `json:"trustDomain,omitempty"`
}

// filter is one Envoy filter as istiod emits it: its name and its typed config in
// protobuf's JSON form ("@type" names the message).
type filter struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

type translateAnswer struct {
	OK bool `json:"ok"`
	// Filters of the sidecar's inbound HTTP chain: CUSTOM (rbac + ext_authz), then AUDIT, DENY, ALLOW.
	HTTP []filter `json:"http"`
	// Filters of the inbound TCP chain, in the same order.
	TCP []filter `json:"tcp"`
	// The policies istiod selects for the workload, by action, as namespace/name.
	Selected map[string][]string `json:"selected"`
}

// translate builds, for one workload, the authorization filters istiod generates for a
// sidecar: the policies in a config store, a push context, the policies matching the
// proxy's namespace and labels, then Istio's builder, once for CUSTOM and once for the rest.
func translate(objects []json.RawMessage, req translateRequest) any {
	meshConfig := mesh.DefaultMeshConfig()
	if len(req.MeshConfig) > 0 {
		applied, err := mesh.ApplyMeshConfig(string(req.MeshConfig), meshConfig)
		if err != nil {
			return failure(fmt.Errorf("meshConfig: %v", err))
		}
		meshConfig = applied
	}
	if req.Workload.Namespace == "" {
		return failure(fmt.Errorf("workload.namespace is required"))
	}
	decodedObjects, err := decodeAll(objects)
	if err != nil {
		return failure(err)
	}
	store := memory.Make(collections.Pilot)
	for _, d := range decodedObjects {
		if _, err := store.Create(d.config); err != nil {
			return failure(fmt.Errorf("%s %s/%s: %v", d.config.GroupVersionKind.Kind, d.config.Namespace, d.config.Name, err))
		}
	}
	env := &model.Environment{ConfigStore: store, Watcher: meshwatcher.NewTestWatcher(meshConfig)}
	push := &model.PushContext{AuthzPolicies: model.GetAuthorizationPolicies(env), Mesh: meshConfig}
	push.ServiceIndex.HostnameAndNamespace = map[host.Name]map[string]*model.Service{}
	for _, s := range req.Services {
		hostname := host.Name(s.Hostname)
		if push.ServiceIndex.HostnameAndNamespace[hostname] == nil {
			push.ServiceIndex.HostnameAndNamespace[hostname] = map[string]*model.Service{}
		}
		push.ServiceIndex.HostnameAndNamespace[hostname][s.Namespace] = &model.Service{Hostname: hostname}
	}
	proxy := &model.Proxy{
		ID:              "judge." + req.Workload.Namespace,
		ConfigNamespace: req.Workload.Namespace,
		Labels:          req.Workload.Labels,
		Metadata:        &model.NodeMetadata{Labels: req.Workload.Labels, Namespace: req.Workload.Namespace},
	}
	policies := push.AuthzPolicies.ListAuthorizationPolicies(model.PolicyMatcherForProxy(proxy).WithRootNamespace(meshConfig.GetRootNamespace()))
	trustDomain := req.TrustDomain
	if trustDomain == "" {
		trustDomain = meshConfig.GetTrustDomain()
	}
	bundle := trustdomain.NewBundle(trustDomain, nil)

	answer := translateAnswer{OK: true, HTTP: []filter{}, TCP: []filter{}, Selected: selectedPolicies(policies)}
	for _, custom := range []bool{true, false} {
		b := builder.New(bundle, push, policies, builder.Option{IsCustomBuilder: custom})
		if b == nil {
			continue
		}
		for _, f := range b.BuildHTTP() {
			answer.HTTP = append(answer.HTTP, httpFilter(f))
		}
		for _, f := range b.BuildTCP() {
			answer.TCP = append(answer.TCP, tcpFilter(f))
		}
	}
	return answer
}

func selectedPolicies(policies model.AuthorizationPoliciesResult) map[string][]string {
	names := func(list []model.AuthorizationPolicy) []string {
		out := []string{}
		for _, p := range list {
			out = append(out, p.Namespace+"/"+p.Name)
		}
		sort.Strings(out)
		return out
	}
	return map[string][]string{
		"CUSTOM": names(policies.Custom),
		"DENY":   names(policies.Deny),
		"ALLOW":  names(policies.Allow),
		"AUDIT":  names(policies.Audit),
	}
}

func httpFilter(f *hcm.HttpFilter) filter {
	return filter{Name: f.GetName(), Config: protoJSON(f.GetTypedConfig())}
}

func tcpFilter(f *listener.Filter) filter {
	return filter{Name: f.GetName(), Config: protoJSON(f.GetTypedConfig())}
}

func protoJSON(m proto.Message) json.RawMessage {
	if m == nil {
		return json.RawMessage("null")
	}
	out, err := protojson.MarshalOptions{UseProtoNames: false}.Marshal(m)
	if err != nil {
		quoted, _ := json.Marshal(fmt.Sprintf("cannot encode %T: %v", m, err))
		return quoted
	}
	return out
}
