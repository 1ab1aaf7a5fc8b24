package sigv4

import "time"

// amzDateLen is the length of an ISO 8601 basic timestamp: 20060102T150405Z.
const amzDateLen = 16

// parseAmzDate parses YYYYMMDD'T'HHMMSS'Z' without allocating.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != amzDateLen || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(4, 6)
	d, ok3 := num(6, 8)
	h, ok4 := num(9, 11)
	mi, ok5 := num(11, 13)
	sec, ok6 := num(13, 15)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // e.g. February 30th
		return time.Time{}, false
	}
	return t, true
}

// appendAmzDate appends t (in UTC) as YYYYMMDD'T'HHMMSS'Z'.
func appendAmzDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append4(dst, y)
	dst = append2(dst, int(mo))
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, h)
	dst = append2(dst, mi)
	dst = append2(dst, s)
	return append(dst, 'Z')
}

func formatAmzDate(t time.Time) string {
	var b [amzDateLen]byte
	return string(appendAmzDate(b[:0], t))
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

func append4(dst []byte, n int) []byte {
	if n < 0 || n > 9999 {
		n = 0
	}
	return append(dst, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
