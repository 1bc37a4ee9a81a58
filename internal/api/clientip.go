package api

import (
	"net"

	"github.com/labstack/echo/v4"
)

// clientIP decides where c.RealIP() comes from: the connection, or, behind
// configured proxies only, the X-Forwarded-For entry the nearest untrusted
// hop added. Loopback, link-local and private ranges are not trusted by
// default: a proxy on them must be listed.
func clientIP(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
