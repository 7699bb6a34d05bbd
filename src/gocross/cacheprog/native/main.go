// Command cacheprog is the GOCACHEPROG of a go command that gocross started, compiled on first use with the
// same Go (see ../native.py): it answers local GOCACHE hits itself and passes everything else to the gocross
// command's cache server (../server.py), which does the remote work.
//
// A Python helper answering a warm build's few hundred local lookups cost 20-25 % of the build; this one
// costs about what Go's own cache does. It speaks Go's protocol (cmd/go/internal/cacheprog) on its standard
// input and output, and the same protocol to the server over two pipes it passes through the server's Unix
// socket (as relay.py passes Go's own), with one extra command: a note of each local hit, so the server's
// counters and read-ahead lists see every lookup.
//
// Usage: cacheprog SOCKET GOCACHE [KEY]
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// localHitNote is the command that tells the server about a hit answered here (no response is sent).
const localHitNote = "gocross-local-hit"

const (
	entrySize     = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1 // "v1 <action> <output> <size> <time>\n"
	markUsedEvery = time.Hour                                 // Go's mtimeInterval: its trim keeps what is used
)

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
	Size     int64  `json:",omitempty"` // in a note: the hit's size
}

type response struct {
	ID       int64
	OutputID []byte `json:",omitempty"`
	Size     int64  `json:",omitempty"`
	DiskPath string `json:",omitempty"`
}

// output writes whole lines to Go from two goroutines: hits answered here and the server's answers.
type output struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (o *output) line(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.w.Write(b); err != nil {
		return err
	}
	return o.w.Flush()
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: cacheprog SOCKET GOCACHE [KEY]")
	}
	key := ""
	if len(os.Args) > 3 {
		key = os.Args[3]
	}
	toServer, fromServer, err := connect(os.Args[1], key)
	if err != nil {
		fail(fmt.Sprintf("cannot reach the cache server of the gocross command that started this go command (%v); "+
			"run the build through gocross again, or unset GOCACHEPROG", err))
	}
	out := &output{w: bufio.NewWriterSize(os.Stdout, 1<<16)}
	answers := bufio.NewReaderSize(fromServer, 1<<16)
	greeting, err := answers.ReadBytes('\n') // the commands the server knows: Go's first line, before any hit
	if err != nil || out.line(greeting) != nil {
		fail("the cache server of the gocross command that started this go command closed the connection")
	}
	answered := make(chan struct{})
	go func() { // the server's answers, passed to Go line by line
		defer close(answered)
		r := answers
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && out.line(line) != nil {
				return
			}
			if err != nil {
				return
			}
		}
	}()
	forward(bufio.NewReaderSize(os.Stdin, 1<<16), bufio.NewWriterSize(toServer, 1<<16), out, os.Args[2])
	toServer.Close()
	<-answered // the server closes its end once it has answered Go's close (or Go went away)
}

// forward reads Go's requests until its stdin closes: a get found in GOCACHE is answered here, and noted to
// the server; anything else goes to the server as it came.
func forward(in *bufio.Reader, server *bufio.Writer, out *output, gocache string) {
	for {
		line, err := nextLine(in)
		if err != nil {
			server.Flush()
			return
		}
		var req request
		if json.Unmarshal(line, &req) == nil && req.Command == "get" {
			if output, size, path, ok := lookup(gocache, req.ActionID); ok {
				answer, _ := json.Marshal(response{ID: req.ID, OutputID: output, Size: size, DiskPath: path})
				if out.line(append(answer, '\n')) != nil {
					return
				}
				note, _ := json.Marshal(request{ID: req.ID, Command: localHitNote, ActionID: req.ActionID,
					OutputID: output, Size: size})
				server.Write(append(note, '\n')) // flushed with the next request the server must answer
				continue
			}
		}
		server.Write(line)
		if req.Command == "put" && req.BodySize > 0 {
			body, err := nextLine(in)
			if err != nil {
				server.Flush()
				return
			}
			server.Write(body)
		}
		if server.Flush() != nil {
			return
		}
	}
}

// nextLine is the next non-blank line with its newline (Go writes a blank line after each request object).
func nextLine(r *bufio.Reader) ([]byte, error) {
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			return line, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// lookup finds an action in GOCACHE as Go's own cache does: an entry naming an output whose body file is
// there with the recorded size. Entries the server has answered but not yet written are missed here and
// answered by the server from memory.
func lookup(gocache string, action []byte) (output []byte, size int64, path string, ok bool) {
	if len(action) != 32 {
		return nil, 0, "", false
	}
	actionHex := hex.EncodeToString(action)
	entryPath := gocache + "/" + actionHex[:2] + "/" + actionHex + "-a"
	f, err := os.Open(entryPath)
	if err != nil {
		return nil, 0, "", false
	}
	buf := make([]byte, entrySize+1)
	n, _ := io.ReadFull(f, buf)
	info, statErr := f.Stat()
	f.Close()
	entry := buf[:n]
	if statErr != nil || n != entrySize || !bytes.HasPrefix(entry, []byte("v1 ")) || entry[n-1] != '\n' {
		return nil, 0, "", false
	}
	fields := bytes.Fields(entry)
	if len(fields) != 5 || string(fields[1]) != actionHex {
		return nil, 0, "", false
	}
	output, err = hex.DecodeString(string(fields[2]))
	if err != nil || len(output) != 32 {
		return nil, 0, "", false
	}
	size, err = strconv.ParseInt(string(fields[3]), 10, 64)
	if err != nil || size < 0 {
		return nil, 0, "", false
	}
	outputHex := string(fields[2])
	path = gocache + "/" + outputHex[:2] + "/" + outputHex + "-d"
	body, err := os.Stat(path)
	if err != nil || !body.Mode().IsRegular() || body.Size() != size {
		return nil, 0, "", false
	}
	now := time.Now()
	for _, used := range []struct {
		name  string
		mtime time.Time
	}{{entryPath, info.ModTime()}, {path, body.ModTime()}} {
		if now.Sub(used.mtime) > markUsedEvery {
			os.Chtimes(used.name, now, now)
		}
	}
	return output, size, path, true
}

// connect hands the server two pipes over its socket, with the target's read-ahead key, as relay.py hands
// it Go's: one the server reads requests from, one it answers on.
func connect(socketPath, key string) (toServer, fromServer *os.File, err error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socketPath, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	requestsR, requestsW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	answersR, answersW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	rights := syscall.UnixRights(int(requestsR.Fd()), int(answersW.Fd()))
	if _, _, err := conn.WriteMsgUnix([]byte("g"+key), rights, nil); err != nil {
		return nil, nil, err
	}
	requestsR.Close()
	answersW.Close()
	taken := make([]byte, 1)
	if n, err := conn.Read(taken); err != nil || n != 1 || taken[0] != 'k' {
		return nil, nil, fmt.Errorf("it closed the connection")
	}
	return requestsW, answersR, nil
}

func fail(message string) {
	fmt.Fprintf(os.Stderr, "gocross cache: %s.\n", message)
	os.Exit(1)
}
