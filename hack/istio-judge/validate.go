package main

import (
	"encoding/json"

	"github.com/hashicorp/go-multierror"
)

type validation struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Errors    []string `json:"errors"`
	Warnings  []string `json:"warnings"`
}

type validateAnswer struct {
	OK      bool         `json:"ok"`
	Results []validation `json:"results"`
}

// validate runs istiod's admission validation (the schema's ValidateConfig) on each object
// on its own, so one invalid object does not hide the verdict on the others.
func validate(objects []json.RawMessage) validateAnswer {
	results := make([]validation, 0, len(objects))
	for _, raw := range objects {
		d, err := decode(raw)
		if err != nil {
			var meta struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			_ = json.Unmarshal(raw, &meta)
			results = append(results, validation{Kind: meta.Kind, Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name, Errors: []string{err.Error()}, Warnings: []string{}})
			continue
		}
		warning, err := d.schema.ValidateConfig(d.config)
		results = append(results, validation{
			Kind:      d.config.GroupVersionKind.Kind,
			Namespace: d.config.Namespace,
			Name:      d.config.Name,
			Errors:    messages(err),
			Warnings:  messages(warning),
		})
	}
	return validateAnswer{OK: true, Results: results}
}

// messages flattens Istio's multierrors into one message each.
func messages(err error) []string {
	if err == nil {
		return []string{}
	}
	if merr, ok := err.(*multierror.Error); ok {
		out := []string{}
		for _, e := range merr.Errors {
			out = append(out, messages(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
