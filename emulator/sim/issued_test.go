package sim

import (
	"testing"
	"time"
)

func TestIssueCredential(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	parent := Credential{Provider: "aws", AccessKeyID: "AKIDPARENT", AccountID: "210987654321", Region: "us-east-1"}
	c := e.IssueCredential("aws", "ASIA", parent, time.Hour)
	if c.AccessKeyID[:4] != "ASIA" || c.Secret == "" || c.SecurityToken == "" || c.AccountID != parent.AccountID || c.Region != parent.Region {
		t.Fatalf("issued %+v", c)
	}
	got, ok := e.Credential("aws", c.AccessKeyID)
	if !ok || got.Expired || got.Secret != c.Secret {
		t.Fatalf("lookup = %+v, %v", got, ok)
	}
	if _, ok := e.Credential("alicloud", c.AccessKeyID); ok {
		t.Fatal("an issued credential is scoped to its provider")
	}
	e.SetClock(func() time.Time { return now.Add(time.Hour) })
	if got, _ := e.Credential("aws", c.AccessKeyID); !got.Expired {
		t.Fatal("an issued credential past its expiry must be Expired")
	}
}

func TestIssueCredentialBounded(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := e.IssueCredential("aws", "ASIA", Credential{}, time.Hour)
	var last Credential
	for i := 0; i < MaxIssued; i++ {
		last = e.IssueCredential("aws", "ASIA", Credential{}, time.Hour)
	}
	if _, ok := e.Credential("aws", first.AccessKeyID); ok {
		t.Fatal("the oldest issued credential must be forgotten past MaxIssued")
	}
	if _, ok := e.Credential("aws", last.AccessKeyID); !ok {
		t.Fatal("the newest issued credential must be kept")
	}
	if n := len(e.issued.byKey.order); n != MaxIssued || len(e.issued.byKey.m) != MaxIssued {
		t.Fatalf("%d credentials kept, want %d", n, MaxIssued)
	}
}
