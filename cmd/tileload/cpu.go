package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the CPU time used so far by this process and by the whole
// machine (all processes, from /proc/stat), to show how much of the machine
// a phase had: other jobs on a shared 2-core machine move the figures.
type cpuSample struct {
	at      time.Time
	self    time.Duration
	machine time.Duration // busy time summed over cores; 0 if unknown
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		if len(f) > 8 && f[0] == "cpu" {
			var busy int64
			for i, v := range f[1:9] {
				n, _ := strconv.ParseInt(v, 10, 64)
				if i != 3 && i != 4 { // not idle, iowait
					busy += n
				}
			}
			s.machine = time.Duration(busy) * time.Second / 100 // USER_HZ is 100 on Linux
		}
	}
	return s
}

// cores returns the cores used by this process and by the machine between
// two samples.
func cores(a, b cpuSample) (self, machine float64) {
	wall := b.at.Sub(a.at).Seconds()
	return (b.self - a.self).Seconds() / wall, (b.machine - a.machine).Seconds() / wall
}

// procCPU is the CPU time used so far by the processes (PostgreSQL
// backends serving the reference phase), from /proc/PID/stat.
func procCPU(pids []uint32) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+s) * time.Second / 100 // USER_HZ
	}
	return total
}
