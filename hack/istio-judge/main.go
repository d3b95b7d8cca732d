// The Istio judge: Istio's own code answering questions about the objects the NEXUS
// operator renders, for the TypeScript tests. One long-lived process reads one JSON request
// per line on stdin and writes one JSON answer per line on stdout, in order:
//
//	{"op":"validate","objects":[...]}                        istiod's admission validation
//	{"op":"translate","objects":[...],"workload":{...},...}  istiod's translation to Envoy filters
//	{"op":"enforce","objects":[...],"calls":[...]}           istiod's proxyless gRPC output enforced by grpc-go over mTLS
//
// Every answer carries "ok"; a request the judge cannot serve gets ok=false and "error".
// Istio logs go to stderr so stdout carries only answers.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"istio.io/istio/pkg/log"
)

type request struct {
	Op string `json:"op"`
	// The objects as the operator writes them (apiVersion, kind, metadata, spec).
	Objects []json.RawMessage `json:"objects"`
	translateRequest
	enforceRequest
}

func main() {
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.ErrorOutputPaths = []string{"stderr"}
	opts.SetDefaultOutputLevel(log.DefaultScopeName, log.ErrorLevel)
	opts.SetDefaultOutputLevel("all", log.ErrorLevel)
	if err := log.Configure(opts); err != nil {
		fmt.Fprintln(os.Stderr, "istio-judge: logging:", err)
	}
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "istio-judge:", err)
		os.Exit(1)
	}
}

func serve(in io.Reader, out io.Writer) error {
	reader := bufio.NewReaderSize(in, 1<<20)
	writer := bufio.NewWriter(out)
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	var engine *enforcementEngine
	defer func() {
		if engine != nil {
			engine.close()
		}
	}()
	for {
		line, err := reader.ReadBytes('\n')
		if len(line) > 0 && !isBlank(line) {
			answer := answerFor(line, &engine)
			if encodeErr := encoder.Encode(answer); encodeErr != nil {
				return encodeErr
			}
			if flushErr := writer.Flush(); flushErr != nil {
				return flushErr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func answerFor(line []byte, engine **enforcementEngine) (answer any) {
	defer func() {
		if r := recover(); r != nil {
			answer = failure(fmt.Errorf("the judge failed on this request: %v", r))
		}
	}()
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return failure(fmt.Errorf("a request is one JSON object per line: %v", err))
	}
	switch req.Op {
	case "validate":
		return validate(req.Objects)
	case "translate":
		return translate(req.Objects, req.translateRequest)
	case "enforce":
		if *engine == nil {
			started, err := startEnforcementEngine()
			if err != nil {
				return failure(err)
			}
			*engine = started
		}
		return (*engine).enforce(req.Objects, req.enforceRequest)
	default:
		return failure(fmt.Errorf("op %q is unknown; allowed: validate, translate, enforce", req.Op))
	}
}

type failed struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func failure(err error) failed {
	return failed{OK: false, Error: err.Error()}
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
