// modzip turns tags of local git mirrors into a file:// GOPROXY (the layout the go command
// reads: <module>/@v/{list,<v>.info,<v>.mod,<v>.zip}). Used only when the module proxy does
// not serve a module; zips are made exactly as the proxy makes them (golang.org/x/mod/zip
// CreateFromVCS), so their hashes match the go.sum lines the real proxy would give.
//
//	modzip -out DIR -module open-cluster-management.io/api -git /path/repo.git -version v1.3.0
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	out := flag.String("out", "", "proxy root")
	mod := flag.String("module", "", "module path")
	gitDir := flag.String("git", "", "git directory (bare is fine)")
	version := flag.String("version", "", "tag")
	flag.Parse()
	if err := run(*out, *mod, *gitDir, *version); err != nil {
		fmt.Fprintln(os.Stderr, "modzip:", err)
		os.Exit(1)
	}
}

func run(out, mod, gitDir, version string) error {
	esc, err := module.EscapePath(mod)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, esc, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// CreateFromVCS wants a repository root; a shared clone leaves the mirror untouched.
	wt, err := os.MkdirTemp("", "modzip-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(wt)
	if b, err := exec.Command("git", "clone", "-q", "--shared", "--no-checkout", gitDir, wt).CombinedOutput(); err != nil {
		return fmt.Errorf("git clone: %v: %s", err, b)
	}
	gomod, err := exec.Command("git", "-C", wt, "show", version+":go.mod").Output()
	if err != nil {
		return fmt.Errorf("go.mod at %s: %w", version, err)
	}
	if err := os.WriteFile(filepath.Join(dir, version+".mod"), gomod, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := zip.CreateFromVCS(f, module.Version{Path: mod, Version: version}, wt, version, ""); err != nil {
		return err
	}
	ts, err := exec.Command("git", "--git-dir", gitDir, "log", "-1", "--format=%cI", version).Output()
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(ts)))
	if err != nil {
		return err
	}
	info, _ := json.Marshal(map[string]any{"Version": version, "Time": t.UTC()})
	if err := os.WriteFile(filepath.Join(dir, version+".info"), info, 0o644); err != nil {
		return err
	}
	list, _ := os.ReadFile(filepath.Join(dir, "list"))
	if !bytes.Contains(list, []byte(version+"\n")) {
		list = append(list, []byte(version+"\n")...)
	}
	return os.WriteFile(filepath.Join(dir, "list"), list, 0o644)
}
