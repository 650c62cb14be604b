package sinkoutage

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards TCP connections from its own address on 127.0.0.1 to a
// target, and injects faults on demand. Its methods may be called from any
// goroutine; Close stops it and closes every connection.
type Proxy struct {
	ln     net.Listener
	target string

	mu          sync.Mutex
	conns       map[net.Conn]struct{} // both ends of every forwarded connection
	resetUntil  time.Time             // connections accepted before then are reset
	thaw        chan struct{}         // non-nil while frozen; closed when thawed
	delay       time.Duration         // pause before each client→server chunk
	closed      bool
	accepted    int
	forwarders  sync.WaitGroup
	acceptEnded chan struct{}
}

// Start listens on a free port of 127.0.0.1 and forwards to target.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, acceptEnded: make(chan struct{})}
	go p.acceptLoop()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Reset resets (TCP RST) every open connection now and every connection
// accepted during the next d.
func (p *Proxy) Reset(d time.Duration) {
	p.mu.Lock()
	p.resetUntil = time.Now().Add(d)
	var open []net.Conn
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	for _, c := range open {
		reset(c)
	}
}

// Freeze stops forwarding bytes in both directions, on open connections
// and on those accepted meanwhile, for d; nothing is closed. Data read
// during the freeze is forwarded afterwards.
func (p *Proxy) Freeze(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thaw != nil {
		return
	}
	thaw := make(chan struct{})
	p.thaw = thaw
	time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		close(thaw)
		p.thaw = nil
	})
}

// SetDelay makes the proxy wait d before forwarding each chunk a client
// sends (0: no delay): every statement then costs at least d.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Close stops accepting, closes every connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	var open []net.Conn
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	p.ln.Close()
	<-p.acceptEnded
	for _, c := range open {
		c.Close()
	}
	p.forwarders.Wait()
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with RST
	}
	c.Close()
}

func (p *Proxy) acceptLoop() {
	defer close(p.acceptEnded)
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		if p.closed || time.Now().Before(p.resetUntil) {
			p.mu.Unlock()
			reset(client)
			continue
		}
		p.conns[client] = struct{}{}
		p.forwarders.Add(1)
		p.mu.Unlock()
		go p.serve(client)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.forwarders.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.drop(client)
		reset(client)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		server.Close()
		client.Close()
		return
	}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, true); done <- struct{}{} }()
	go func() { p.pipe(client, server, false); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
	p.drop(client)
	p.drop(server)
}

func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// pipe copies src to dst, holding each chunk while the proxy is frozen
// and delaying client chunks (fromClient) by the set delay.
func (p *Proxy) pipe(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			thaw, delay := p.thaw, p.delay
			p.mu.Unlock()
			if thaw != nil {
				<-thaw
			}
			if fromClient && delay > 0 {
				time.Sleep(delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
			}
			return
		}
	}
}
