package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Invented but plausible personal data; the same seed gives the same people.

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"}
var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅文斌宇浩然欣怡子涵佳琪俊杰思远晓东春燕海燕")

func personName(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(surnames[rng.IntN(len(surnames))])
	for i := 0; i < 1+rng.IntN(2); i++ {
		b.WriteRune(givenChars[rng.IntN(len(givenChars))])
	}
	return b.String()
}

// idNumber is an 18-digit resident ID with a correct ISO 7064 check digit.
func idNumber(rng *rand.Rand, region string) string {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365*65))
	body := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), rng.IntN(1000))
	return body + checkDigit(body)
}

func checkDigit(body17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body17[i]-'0') * w
	}
	return string("10X98765432"[sum%11])
}

func phone(rng *rand.Rand) string {
	prefixes := []string{"130", "133", "135", "136", "138", "139", "150", "151", "158", "177", "180", "186", "189"}
	return fmt.Sprintf("%s%08d", prefixes[rng.IntN(len(prefixes))], rng.IntN(100000000))
}

// Household tags with their rough shares in an urban community.
var tagShares = []struct {
	tag   string
	share float64
}{
	{"空巢老人", 0.08}, {"独居老人", 0.03}, {"低保", 0.03}, {"残疾", 0.02},
	{"重点人员", 0.01}, {"退役军人", 0.02}, {"流动人口", 0.10},
}

func householdTags(rng *rand.Rand) []string {
	tags := []string{}
	for _, t := range tagShares {
		if rng.Float64() < t.share {
			tags = append(tags, t.tag)
		}
	}
	return tags
}

// members: 1–6 people, mean about 3.1, so 350 households ≈ 1,100 people.
func members(rng *rand.Rand) int {
	weights := []int{10, 24, 30, 20, 11, 5}
	r := rng.IntN(100)
	for i, w := range weights {
		if r < w {
			return i + 1
		}
		r -= w
	}
	return 3
}

var streetNames = []string{"幸福", "和平", "文新", "翠苑", "古荡", "西溪", "北山", "灵隐", "留下", "转塘", "蒋村", "三墩"}
var communityNames = []string{"春晖", "文昌", "柳浪", "青园", "德苑", "紫荆", "翠柏", "桂花", "金都", "嘉绿", "益乐", "星洲", "府苑", "竞舟", "莲花", "南都"}
var estateNames = []string{"阳光", "绿城", "锦绣", "丹桂", "香樟", "梧桐", "银杏", "东方", "新城", "和园", "枫华", "景苑"}

// nth makes an unbounded series of names from a list: 幸福, …, 幸福二, ….
func nth(list []string, i int, suffix string) string {
	base := list[i%len(list)]
	if r := i / len(list); r > 0 {
		base += fmt.Sprint(r + 1)
	}
	return base + suffix
}
