package main

import (
	"encoding/json"
	"fmt"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
)

// decoded is one object in Istio's internal form, with the schema that validates it.
type decoded struct {
	config config.Config
	schema resource.Schema
}

// decode reads one object the way istiod does (Istio's CRD form, then the schema of its
// group and kind), except that unknown spec fields are an error: the apiserver's
// structural schema would drop them silently, which would hide a renderer bug.
func decode(raw json.RawMessage) (decoded, error) {
	var object crd.IstioKind
	if err := json.Unmarshal(raw, &object); err != nil {
		return decoded{}, fmt.Errorf("not a Kubernetes object: %v", err)
	}
	gvk := object.GroupVersionKind()
	schema, found := collections.Pilot.FindByGroupKind(resource.FromKubernetesGVK(&gvk))
	if !found {
		return decoded{}, fmt.Errorf("%s is not a kind istiod reads", gvk.String())
	}
	converted, err := crd.ConvertObjectInternal(schema, &object, "", strictFromJSON)
	if err != nil {
		return decoded{}, fmt.Errorf("%s %s/%s: spec does not decode: %v", object.Kind, object.Namespace, object.Name, err)
	}
	return decoded{config: *converted, schema: schema}, nil
}

func strictFromJSON(s resource.Schema, js string) (config.Spec, error) {
	spec, err := s.NewInstance()
	if err != nil {
		return nil, err
	}
	if err := config.ApplyJSONStrict(spec, js); err != nil {
		return nil, err
	}
	return spec, nil
}

// decodeAll decodes every object or names the first that does not decode.
func decodeAll(objects []json.RawMessage) ([]decoded, error) {
	out := make([]decoded, 0, len(objects))
	for i, raw := range objects {
		d, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("objects[%d]: %v", i, err)
		}
		out = append(out, d)
	}
	return out, nil
}
