package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// rawConn is a minimal HTTP/1.1 keep-alive client on one connection, as
// wrk is: requests are prebuilt bytes and responses are read by status line,
// Content-Length and Content-Encoding only. net/http's client costs about
// as much CPU per request as the server does, and on a 2-core machine with
// the generator in the same process that would halve what is measured.
// Bodies are read by Content-Length or chunked transfer coding (the body
// size is then the sum of the chunks); anything else is refused.
type rawConn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
}

// rawResponse is what rawConn reads of a response.
type rawResponse struct {
	status int
	gzip   bool
	etag   string
	length int
}

func newRawConn(base string) (*rawConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &rawConn{addr: u.Host}, nil
}

// rawRequest builds the bytes of a GET with the given extra header lines.
func rawRequest(host, path string, headers ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// do sends req and reads the whole response, reconnecting once if the
// server closed an idle connection.
func (rc *rawConn) do(req []byte) (rawResponse, error) {
	for attempt := 0; ; attempt++ {
		if rc.c == nil {
			c, err := net.Dial("tcp", rc.addr)
			if err != nil {
				return rawResponse{}, err
			}
			rc.c, rc.r = c, bufio.NewReaderSize(c, 64<<10)
		}
		resp, err := rc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		rc.c.Close()
		rc.c = nil
		if attempt > 0 {
			return resp, err
		}
	}
}

func (rc *rawConn) roundTrip(req []byte) (rawResponse, error) {
	var resp rawResponse
	if _, err := rc.c.Write(req); err != nil {
		return resp, err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return resp, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return resp, fmt.Errorf("bad status line %q", line)
	}
	if resp.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return resp, fmt.Errorf("bad status line %q", line)
	}
	resp.length = -1
	closeAfter, chunked := false, false
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return resp, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return resp, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if resp.length, err = strconv.Atoi(string(value)); err != nil {
				return resp, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Content-Encoding")):
			resp.gzip = bytes.EqualFold(value, []byte("gzip"))
		case bytes.EqualFold(name, []byte("Etag")):
			resp.etag = string(value)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return resp, fmt.Errorf("transfer-encoding %q: not supported", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case resp.status == 304 || resp.status == 204:
		resp.length = 0
	case chunked:
		if resp.length, err = rc.discardChunks(); err != nil {
			return resp, err
		}
	case resp.length < 0:
		return resp, fmt.Errorf("status %d without Content-Length", resp.status)
	default:
		if _, err := rc.r.Discard(resp.length); err != nil {
			return resp, err
		}
	}
	if closeAfter {
		rc.c.Close()
		rc.c = nil
	}
	return resp, nil
}

// discardChunks reads a chunked body (RFC 9112 section 7.1) and returns its
// size.
func (rc *rawConn) discardChunks() (int, error) {
	total := 0
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 32)
		if err != nil || n < 0 {
			return total, fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 { // trailers up to an empty line
			for {
				line, err := rc.r.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		if _, err := rc.r.Discard(int(n) + 2); err != nil { // data, CRLF
			return total, err
		}
		total += int(n)
	}
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
	}
}
