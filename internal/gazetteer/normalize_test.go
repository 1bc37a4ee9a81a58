package gazetteer

import "testing"

// normCases are shared with the SQL mirror test.
var normCases = []struct{ in, want string }{
	// The brief's spellings of one building all meet.
	{"幸福小区3栋", "幸福小区3栋"},
	{"幸福小区 3号楼", "幸福小区3栋"},
	{"幸福小区3幢", "幸福小区3栋"},
	{"幸福小区三栋", "幸福小区3栋"},
	{"幸福小区三号楼", "幸福小区3栋"},
	{"幸福小区3#", "幸福小区3栋"},
	{"幸福小区3#楼", "幸福小区3栋"},
	{"幸福小区３栋", "幸福小区3栋"},
	{"幸福小区　３　号楼", "幸福小区3栋"},
	{"幸福小区3座", "幸福小区3栋"},
	{"幸福小区, 3 栋。", "幸福小区3栋"},
	{"幸福小区（东区）3栋", "幸福小区东区3栋"},
	// Units and rooms.
	{"3幢2单元302室", "3栋2单元302室"},
	{"三幢二单元三零二室", "3栋2单元302室"},
	{"三幢二单元三百零二室", "3栋2单元302室"},
	{"3幢2单元302房", "3栋2单元302室"},
	{"3幢2单元302号房", "3栋2单元302室"},
	{"十二栋", "12栋"},
	{"二十栋", "20栋"},
	{"二十三栋", "23栋"},
	{"一百一十栋", "110栋"},
	{"两单元", "2单元"},
	{"一千零一室", "1001室"},
	{"〇一室", "01室"},
	// Shorthand building-unit-room.
	{"阳光小区3-2-302", "阳光小区3栋2单元302室"},
	{"阳光小区3-2-302室", "阳光小区3栋2单元302室"},
	{"阳光小区3-302", "阳光小区3栋302室"},
	{"阳光小区 3 - 2 - 302", "阳光小区3栋2单元302室"},
	// Letters and full-width letters fold to lower case.
	{"Ａ座", "a栋"},
	{"B座1201", "b栋1201"},
	{"金地ABC公寓", "金地abc公寓"},
	// Markers that are not after a number stay text; numerals in names stay.
	{"星座花园", "星座花园"},
	{"房东之家", "房东之家"},
	{"十里河小区", "十里河小区"},
	{"一品苑", "一品苑"},
	{"单元楼", "单元楼"},
	// The demo's text.
	{"春晖社区 阳光小区 3幢 2单元 302室", "春晖社区阳光小区3栋2单元302室"},
	// Edge cases.
	{"", ""},
	{"   ", ""},
	{"###---", ""},
	{"!@#$%^&*()", ""},
	{"3", "3"},
	{"〇", "〇"},
	{"😀幸福", "幸福"},
	{"幸福\t小区\n3栋", "幸福小区3栋"},
}

func TestNormalize(t *testing.T) {
	for _, c := range normCases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	for _, c := range normCases {
		if n := Normalize(c.want); n != c.want {
			t.Errorf("Normalize(Normalize(%q)) = %q, want %q", c.in, n, c.want)
		}
	}
}

func TestKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"3幢", "3"}, {"3号楼", "3"}, {"3", "3"}, {"三栋", "3"}, {"３＃", "3"},
		{"2单元", "2"}, {"二单元", "2"}, {"2", "2"},
		{"302室", "302"}, {"302", "302"}, {"三零二", "三零二"}, {"三零二室", "302"},
		{"A座", "a"}, {"", ""}, {"阳光小区", "阳光小区"},
	}
	for _, c := range cases {
		if got := Key(c.in); got != c.want {
			t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestChineseNumber(t *testing.T) {
	cases := []struct{ in, want string }{
		{"一", "1"}, {"九", "9"}, {"十", "10"}, {"十一", "11"}, {"二十", "20"}, {"二十一", "21"},
		{"一百", "100"}, {"一百零一", "101"}, {"一百一十", "110"}, {"三百零二", "302"},
		{"一千", "1000"}, {"一千零一", "1001"}, {"两千三百", "2300"},
		{"三零二", "302"}, {"〇", "0"}, {"零零七", "007"}, {"两", "2"}, {"", ""},
	}
	for _, c := range cases {
		if got := ChineseNumber(c.in); got != c.want {
			t.Errorf("ChineseNumber(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, c := range normCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Errorf("Normalize not idempotent on %q: %q then %q", s, n, Normalize(n))
		}
	})
}
