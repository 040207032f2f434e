// Command interop checks ledgerd's signed checkpoints and proofs with the
// Go checksum database packages, unmodified: golang.org/x/mod/sumdb/note
// verifies the signed notes against the log's verifier key line, and
// golang.org/x/mod/sumdb/tlog checks inclusion (CheckRecord) and
// consistency (CheckTree) proofs against the roots the notes sign.
//
// The C2SP tlog-checkpoint text (origin, decimal size, base64 root) is
// parsed here, since the tlog package only parses its own tree format.
//
// Usage:
//
//	interop -vkey FILE [-note FILE] [-old-note FILE] [-entry FILE] KIND:FILE...
//
// KIND is inclusion, consistency or tlogproof.  FILE is either the --json
// output of ledgerctl prove or ledgerctl consistency, which carry their
// checkpoints (and the entry), or an answer of GET /v1/proof/inclusion or
// /v1/proof/consistency, whose checkpoints (-note: of tree_size or
// second, -old-note: of first) and entry bytes (-entry) come from flags;
// or, for tlogproof, a C2SP tlog-proof@v1 text (ledgerctl prove
// --tlog-proof, with the entry as its extra; GET /v1/events/{seq}/proof,
// without: -entry), parsed here from the format's specification.
// Each proof is also checked to fail once forged.  Prints "ok - ..." or
// "FAIL - ..." per check and "N passed, N failed"; exits 1 on failure.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var passed, failed int

func check(name string, err error) bool {
	if err != nil {
		failed++
		fmt.Printf("FAIL - %s: %v\n", name, err)
		return false
	}
	passed++
	fmt.Printf("ok   - %s\n", name)
	return true
}

// A checkpoint, opened with note.Open and parsed as C2SP tlog-checkpoint.
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func openCheckpoint(msg []byte, v note.Verifier) (*checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("note.Open: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return nil, errors.New("checkpoint text has fewer than 3 lines")
	}
	if lines[0] != v.Name() {
		return nil, fmt.Errorf("origin %q is not the key's name %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil || root.String() != lines[2] {
		return nil, fmt.Errorf("bad root hash %q", lines[2])
	}
	return &checkpoint{origin: lines[0], size: size, root: root}, nil
}

func hashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}

type inclusion struct {
	LeafIndex  int64           `json:"leaf_index"`
	TreeSize   int64           `json:"tree_size"`
	LeafHash   string          `json:"leaf_hash"`
	AuditPath  []string        `json:"audit_path"`
	Entry      json.RawMessage `json:"entry"`
	Checkpoint string          `json:"checkpoint"`
}

type consistency struct {
	First            int64    `json:"first"`
	Second           int64    `json:"second"`
	Consistency      []string `json:"consistency"`
	FirstCheckpoint  string   `json:"first_checkpoint"`
	SecondCheckpoint string   `json:"second_checkpoint"`
}

func readFile(name string) []byte {
	if name == "" {
		return nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop: %v\n", err)
		os.Exit(2)
	}
	return b
}

func pick(embedded string, file []byte) []byte {
	if embedded != "" {
		return []byte(embedded)
	}
	return file
}

// flipped returns a copy of p with one bit of hash i changed.
func flipped(p []tlog.Hash, i int) []tlog.Hash {
	q := append([]tlog.Hash(nil), p...)
	q[i][i%tlog.HashSize] ^= 1
	return q
}

func checkInclusion(name string, data []byte, v, other note.Verifier, noteFile, entryFile []byte) {
	var in inclusion
	if !check(name+": parse", json.Unmarshal(data, &in)) {
		return
	}
	msg := pick(in.Checkpoint, noteFile)
	cp, err := openCheckpoint(msg, v)
	if !check(name+": note.Open verifies the checkpoint", err) {
		return
	}
	_, err = note.Open(msg, note.VerifierList(other))
	check(name+": note.Open refuses it under another key of the same name",
		expectErr(err))
	if cp.size != in.TreeSize {
		check(name+": checkpoint size", fmt.Errorf("%d, proof is for %d", cp.size, in.TreeSize))
		return
	}
	leaf, err := tlog.ParseHash(in.LeafHash)
	if !check(name+": leaf hash", err) {
		return
	}
	entry := []byte(in.Entry)
	if len(entry) == 0 {
		entry = entryFile
	}
	if entry != nil {
		if got := tlog.RecordHash(entry); got != leaf {
			check(name+": tlog.RecordHash(entry) is the leaf hash", fmt.Errorf("%v != %v", got, leaf))
		} else {
			check(name+": tlog.RecordHash(entry) is the leaf hash", nil)
		}
	}
	path, err := hashes(in.AuditPath)
	if !check(name+": audit path", err) {
		return
	}
	check(fmt.Sprintf("%s: tlog.CheckRecord(entry %d, size %d)", name, in.LeafIndex, cp.size),
		tlog.CheckRecord(path, cp.size, cp.root, in.LeafIndex, leaf))
	for i := range path {
		if tlog.CheckRecord(flipped(path, i), cp.size, cp.root, in.LeafIndex, leaf) == nil {
			check(name+": a forged audit path fails", fmt.Errorf("hash %d flipped, accepted", i))
			return
		}
	}
	bad := leaf
	bad[0] ^= 1
	if tlog.CheckRecord(path, cp.size, cp.root, in.LeafIndex, bad) == nil {
		check(name+": a forged leaf fails", errors.New("accepted"))
		return
	}
	check(name+": forged audit paths and leaves fail", nil)
}

func checkConsistency(name string, data []byte, v note.Verifier, noteFile, oldNoteFile []byte) {
	var c consistency
	if !check(name+": parse", json.Unmarshal(data, &c)) {
		return
	}
	older, err := openCheckpoint(pick(c.FirstCheckpoint, oldNoteFile), v)
	if !check(name+": note.Open verifies the first checkpoint", err) {
		return
	}
	newer, err := openCheckpoint(pick(c.SecondCheckpoint, noteFile), v)
	if !check(name+": note.Open verifies the second checkpoint", err) {
		return
	}
	if older.size != c.First || newer.size != c.Second {
		check(name+": checkpoint sizes", fmt.Errorf("%d and %d, proof is for %d and %d",
			older.size, newer.size, c.First, c.Second))
		return
	}
	proof, err := hashes(c.Consistency)
	if !check(name+": proof", err) {
		return
	}
	if c.First == 0 {
		// tlog rejects n == 0 (every tree extends the empty one); the
		// ledger's policy (ledger/merkle.h) is an empty proof.
		if len(proof) != 0 {
			check(name+": empty proof from size 0", fmt.Errorf("%d hashes", len(proof)))
		}
		return
	}
	check(fmt.Sprintf("%s: tlog.CheckTree(%d -> %d)", name, c.First, c.Second),
		tlog.CheckTree(proof, newer.size, newer.root, older.size, older.root))
	for i := range proof {
		if tlog.CheckTree(flipped(proof, i), newer.size, newer.root, older.size, older.root) == nil {
			check(name+": a forged proof fails", fmt.Errorf("hash %d flipped, accepted", i))
			return
		}
	}
	if len(proof) > 0 {
		check(name+": forged proofs fail", nil)
	}
}

// parseTLogProof reads c2sp.org/tlog-proof@v1: the header line, an
// optional "extra <base64>" line, "index N", the audit path one base64
// hash a line, an empty line, then the checkpoint note verbatim.
func parseTLogProof(data []byte) (extra []byte, index int64, path []tlog.Hash, msg []byte, err error) {
	head, rest, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return nil, 0, nil, nil, errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return nil, 0, nil, nil, fmt.Errorf("first line %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		if extra, err = base64.StdEncoding.Strict().DecodeString(lines[0][6:]); err != nil {
			return nil, 0, nil, nil, fmt.Errorf("extra: %w", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return nil, 0, nil, nil, errors.New("no index line")
	}
	s := lines[0][6:]
	if index, err = strconv.ParseInt(s, 10, 64); err != nil || index < 0 || strconv.FormatInt(index, 10) != s {
		return nil, 0, nil, nil, fmt.Errorf("bad index %q", s)
	}
	if path, err = hashes(lines[1:]); err != nil {
		return nil, 0, nil, nil, err
	}
	return extra, index, path, rest, nil
}

func checkTLogProof(name string, data []byte, v note.Verifier, entryFile []byte) {
	extra, index, path, msg, err := parseTLogProof(data)
	if !check(name+": parse c2sp.org/tlog-proof@v1", err) {
		return
	}
	cp, err := openCheckpoint(msg, v)
	if !check(name+": note.Open verifies its checkpoint", err) {
		return
	}
	record := extra
	if record == nil {
		record = entryFile
	}
	if record == nil {
		check(name+": a record to check", errors.New("no extra and no -entry"))
		return
	}
	leaf := tlog.RecordHash(record)
	check(fmt.Sprintf("%s: tlog.CheckRecord(entry %d, size %d)", name, index, cp.size),
		tlog.CheckRecord(path, cp.size, cp.root, index, leaf))
	for i := range path {
		if tlog.CheckRecord(flipped(path, i), cp.size, cp.root, index, leaf) == nil {
			check(name+": a forged audit path fails", fmt.Errorf("hash %d flipped, accepted", i))
			return
		}
	}
	bad := tlog.RecordHash(append(append([]byte(nil), record...), ' '))
	if tlog.CheckRecord(path, cp.size, cp.root, index, bad) == nil {
		check(name+": another record fails", errors.New("accepted"))
		return
	}
	check(name+": forged audit paths and records fail", nil)
}

func expectErr(err error) error {
	if err == nil {
		return errors.New("accepted")
	}
	return nil
}

func main() {
	vkeyFile := flag.String("vkey", "", "the log's verifier key line (ledger.pub)")
	noteName := flag.String("note", "", "signed checkpoint of tree_size / second, for API answers")
	oldNoteName := flag.String("old-note", "", "signed checkpoint of first, for API answers")
	entryName := flag.String("entry", "", "entry bytes, for API answers")
	flag.Parse()
	if *vkeyFile == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: interop -vkey FILE [-note FILE] [-old-note FILE] [-entry FILE] KIND:FILE...")
		os.Exit(2)
	}
	vkey := strings.TrimSpace(string(readFile(*vkeyFile)))
	v, err := note.NewVerifier(vkey)
	if !check("note.NewVerifier accepts the verifier key line", err) {
		os.Exit(1)
	}
	// A verifier with the same name and another key: notes must fail.
	_, otherKey, err := note.GenerateKey(rand.Reader, v.Name())
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop: %v\n", err)
		os.Exit(2)
	}
	other, _ := note.NewVerifier(otherKey)
	noteFile, oldNoteFile := readFile(*noteName), readFile(*oldNoteName)
	entryFile := readFile(*entryName)
	for _, arg := range flag.Args() {
		kind, file, ok := strings.Cut(arg, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "interop: %q is not KIND:FILE\n", arg)
			os.Exit(2)
		}
		data := readFile(file)
		switch kind {
		case "inclusion":
			checkInclusion(file, data, v, other, noteFile, entryFile)
		case "consistency":
			checkConsistency(file, data, v, noteFile, oldNoteFile)
		case "tlogproof":
			checkTLogProof(file, data, v, entryFile)
		default:
			fmt.Fprintf(os.Stderr, "interop: unknown kind %q\n", kind)
			os.Exit(2)
		}
	}
	fmt.Printf("\n%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
