package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// workloadCA issues the X.509-SVIDs of the enforcement harness: one for the servers (read
// by grpc-go's file_watcher certificate provider, as the bootstrap istiod's tooling writes
// names it) and one per calling principal, made on first use.
type workloadCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	roots   *x509.CertPool
	mu      sync.Mutex
	clients map[string]tls.Certificate
}

func newWorkloadCA() (*workloadCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"nexus istio judge"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &workloadCA{cert: cert, key: key, roots: roots, clients: map[string]tls.Certificate{}}, nil
}

// issue makes a leaf with one URI SAN, the SPIFFE ID, usable as client and server.
func (ca *workloadCA) issue(spiffeID string) (certPEM, keyPEM []byte, err error) {
	uri, err := url.Parse(spiffeID)
	if err != nil {
		return nil, nil, fmt.Errorf("principal %q is not a URI: %v", spiffeID, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		URIs:         []*url.URL{uri},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeServerFiles writes the files grpc-go's file_watcher provider reads for the servers.
func (ca *workloadCA) writeServerFiles(dir, spiffeID string) error {
	certPEM, keyPEM, err := ca.issue(spiffeID)
	if err != nil {
		return err
	}
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	for name, content := range map[string][]byte{"cert-chain.pem": certPEM, "key.pem": keyPEM, "root-cert.pem": rootPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// clientTLS is the TLS configuration of a caller with the given principal: it presents
// its SVID and accepts any server certificate the CA issued (the servers' SVIDs carry no
// DNS name or address, as in the mesh).
func (ca *workloadCA) clientTLS(principal string) (*tls.Config, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	cert, ok := ca.clients[principal]
	if !ok {
		certPEM, keyPEM, err := ca.issue("spiffe://" + principal)
		if err != nil {
			return nil, err
		}
		cert, err = tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, err
		}
		ca.clients[principal] = cert
	}
	roots := ca.roots
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // the chain is verified below; there is no name to verify
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 {
				return fmt.Errorf("server presented no certificate")
			}
			leaf, err := x509.ParseCertificate(rawCerts[0])
			if err != nil {
				return err
			}
			_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			return err
		},
	}, nil
}
