// Package static serves the stylesheet, the little JavaScript there is and
// the icons, embedded in the binary, under content-hash URLs so browsers
// can keep them for a year and still never see a stale file.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed files
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Name        string
	URL         string // /static/name.hash.ext
	ContentType string
	Data        []byte
}

// Assets is every file, by name and by URL.
type Assets struct {
	byName map[string]*Asset
	byURL  map[string]*Asset
}

// Load reads and hashes the embedded files.
func Load() (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, byURL: map[string]*Asset{}}
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "files/")
		sum := sha256.Sum256(data)
		ext := path.Ext(name)
		as := &Asset{
			Name:        name,
			URL:         "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext,
			ContentType: mime.TypeByExtension(ext),
			Data:        data,
		}
		a.byName[name] = as
		a.byURL[as.URL] = as
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a file, or "" if there is none.
func (a *Assets) URL(name string) string {
	if as := a.byName[name]; as != nil {
		return as.URL
	}
	return ""
}

// ByURL returns the file served at url.
func (a *Assets) ByURL(url string) *Asset { return a.byURL[url] }

// ByName returns a file by its name, for the few served at fixed URLs.
func (a *Assets) ByName(name string) *Asset { return a.byName[name] }
