package output

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// SourceInternal is the source of Falco's own alerts (syscall event drops,
// timeouts). They are rendered differently from rule alerts (§3.4).
const SourceInternal = "internal"

// Formatter renders alerts exactly as Falco 0.31.1 prints them, plus the
// `hostname` JSON key of Falco 0.33+ when JSONIncludeHostname is set.
type Formatter struct {
	// JSON selects the JSON object (json_output) instead of the text line.
	JSON bool
	// TimeISO8601 (time_format_iso_8601) prints the alert time as
	// 2016-08-04T16:17:57.881781397+0000 (UTC) instead of local
	// 16:17:57.881781397.
	TimeISO8601 bool
	// JSONIncludeOutput (json_include_output_property) adds the "output"
	// key: the whole text line.
	JSONIncludeOutput bool
	// JSONIncludeTags (json_include_tags_property) adds the "tags" key.
	JSONIncludeTags bool
	// JSONIncludeHostname adds the "hostname" key that Falco 0.33 and
	// later always write and falcosidekick reads. Falco 0.31.1 has no such
	// key; turn it off for byte-identical 0.31.1 output.
	JSONIncludeHostname bool
	// Location is the zone of the non-ISO text time; nil means time.Local,
	// as libsinsp's localtime_r.
	Location *time.Location
}

// DefaultFormatter returns Falco's defaults (text output, tags and output
// properties on), with the hostname key on for falcosidekick.
func DefaultFormatter() Formatter {
	return Formatter{JSONIncludeOutput: true, JSONIncludeTags: true, JSONIncludeHostname: true}
}

// Format renders one alert as a line without the trailing newline: JSON or
// text according to f.JSON, internal alerts in their own shape.
func (f Formatter) Format(a *Alert) string {
	switch {
	case a.Source == SourceInternal && f.JSON:
		return f.internalJSON(a)
	case a.Source == SourceInternal:
		return f.internalText(a)
	case f.JSON:
		return f.ruleJSON(a)
	default:
		return f.Text(a)
	}
}

// Render is Format as bytes, usable as the dispatcher's RenderFunc
// (formatter.Render).
func (f Formatter) Render(a *Alert) []byte { return []byte(f.Format(a)) }

// Text is Falco's text line for a rule alert: `<time>: <Priority> <output>`
// (the `*%evt.time: <Priority> ` prefix Falco adds to every rule output).
func (f Formatter) Text(a *Alert) string {
	var b strings.Builder
	b.Grow(32 + len(a.Output))
	if f.TimeISO8601 {
		b.WriteString(ISO8601Offset(a.Time))
	} else {
		b.WriteString(f.clock(a.Time))
	}
	b.WriteString(": ")
	b.WriteString(a.Priority.String())
	b.WriteByte(' ')
	b.WriteString(a.Output)
	return b.String()
}

// TimeField is the output_fields key of the time token Falco puts in front
// of every rule output: evt.time, or evt.time.iso8601.
func (f Formatter) TimeField() string {
	if f.TimeISO8601 {
		return "evt.time.iso8601"
	}
	return "evt.time"
}

// ruleJSON is Falco's JSON object: FastWriter output of the sorted keys,
// the final `}` replaced by the literal `, "output_fields": {...}}` tail.
func (f Formatter) ruleJSON(a *Alert) string {
	var b strings.Builder
	b.Grow(256 + 2*len(a.Output))
	sep := byte('{')
	key := func(k string) {
		b.WriteByte(sep)
		sep = ','
		writeJSONString(&b, k, false)
		b.WriteByte(':')
	}
	// Keys in byte order, as jsoncpp's std::map iteration gives them.
	if f.JSONIncludeHostname {
		key("hostname")
		writeJSONString(&b, a.Hostname, false)
	}
	if f.JSONIncludeOutput {
		key("output")
		writeJSONString(&b, f.Text(a), false)
	}
	key("priority")
	writeJSONString(&b, a.Priority.String(), false)
	key("rule")
	writeJSONString(&b, a.Rule, false)
	key("source")
	writeJSONString(&b, a.Source, false)
	if f.JSONIncludeTags {
		key("tags")
		b.WriteByte('[')
		for i, tag := range sortedSet(a.Tags) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, tag, false)
		}
		b.WriteByte(']')
	}
	key("time")
	writeJSONString(&b, ISO8601Zulu(a.Time), false)
	b.WriteString(`, "output_fields": `)
	f.writeOutputFields(&b, a)
	b.WriteByte('}')
	return b.String()
}

// writeOutputFields writes the formatter's field map with the time token
// added: Falco formats `*%evt.time: <Priority> <output>` with one formatter,
// so the time field is always among output_fields, as integer nanoseconds.
func (f Formatter) writeOutputFields(b *strings.Builder, a *Alert) {
	timeKey := f.TimeField()
	keys := make([]string, 0, len(a.OutputFields)+1)
	for k := range a.OutputFields {
		keys = append(keys, k)
	}
	if _, ok := a.OutputFields[timeKey]; !ok {
		keys = append(keys, timeKey)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, k, false)
		b.WriteByte(':')
		v, ok := a.OutputFields[k]
		switch {
		case !ok: // the added time token
			b.WriteString(strconv.FormatInt(a.Time.UnixNano(), 10))
		case len(v) == 0:
			b.WriteString("null")
		default:
			b.Write(v)
		}
	}
	b.WriteByte('}')
}

// internalText is `<local time>: Debug <msg> (k1=v1 k2=v2)`, keys sorted,
// values unquoted. Falco uses the local clock format here whatever
// time_format_iso_8601 says.
func (f Formatter) internalText(a *Alert) string {
	var b strings.Builder
	b.WriteString(f.clock(a.Time))
	b.WriteString(": ")
	b.WriteString(a.Priority.String())
	b.WriteByte(' ')
	b.WriteString(a.Output)
	b.WriteString(" (")
	for i, k := range sortedKeys(a.OutputFields) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(rawFieldText(a.OutputFields[k]))
	}
	b.WriteByte(')')
	return b.String()
}

// internalJSON is the nlohmann dump Falco 0.31.1 writes for internal
// alerts: keys output, output_fields, priority, rule, time (plus hostname
// when enabled), no source, no tags, UTF-8 kept as is.
func (f Formatter) internalJSON(a *Alert) string {
	var b strings.Builder
	b.WriteByte('{')
	if f.JSONIncludeHostname {
		b.WriteString(`"hostname":`)
		writeJSONString(&b, a.Hostname, true)
		b.WriteByte(',')
	}
	b.WriteString(`"output":`)
	writeJSONString(&b, a.Output, true)
	b.WriteString(`,"output_fields":{`)
	for i, k := range sortedKeys(a.OutputFields) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k, true)
		b.WriteByte(':')
		if v := a.OutputFields[k]; len(v) == 0 {
			b.WriteString("null")
		} else {
			b.Write(v)
		}
	}
	b.WriteString(`},"priority":`)
	writeJSONString(&b, a.Priority.String(), true)
	b.WriteString(`,"rule":`)
	writeJSONString(&b, a.Rule, true)
	b.WriteString(`,"time":`)
	writeJSONString(&b, ISO8601Zulu(a.Time), true)
	b.WriteByte('}')
	return b.String()
}

// ParseOutputFields turns the bridge's formatter JSON (a JSON object, or
// empty) into Alert.OutputFields. Values are kept byte for byte, so the
// libsinsp writer's number and string encoding reaches the JSON alert
// unchanged.
func ParseOutputFields(fieldsJSON []byte) (map[string]json.RawMessage, error) {
	if len(fieldsJSON) == 0 {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(fieldsJSON, &m); err != nil {
		return nil, fmt.Errorf("parse output fields: %w", err)
	}
	return m, nil
}

// NewInternalAlert builds one of Falco's internal alerts (source internal,
// priority Debug). fields are string values, as Falco's map<string,string>.
func NewInternalAlert(t time.Time, rule, msg, hostname string, fields map[string]string) *Alert {
	of := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		var b strings.Builder
		writeJSONString(&b, v, true)
		of[k] = json.RawMessage(b.String())
	}
	return &Alert{
		Time:         t,
		Rule:         rule,
		Priority:     rules.Debug,
		Source:       SourceInternal,
		Output:       msg,
		OutputFields: of,
		Hostname:     hostname,
	}
}

// Clock formats t as libsinsp's %evt.time: HH:MM:SS.nnnnnnnnn in loc (nil
// means time.Local).
func Clock(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("15:04:05.000000000")
}

func (f Formatter) clock(t time.Time) string { return Clock(t, f.Location) }

// ISO8601Offset formats t as libsinsp's %evt.time.iso8601:
// 2016-08-04T16:17:57.881781397+0000, always UTC.
func ISO8601Offset(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000") + "+0000"
}

// ISO8601Zulu formats t as the JSON "time" key:
// 2016-08-04T16:17:57.881781397Z.
func ISO8601Zulu(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000") + "Z"
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortedSet returns the tags as Falco's std::set<std::string> iterates
// them: sorted, without duplicates.
func sortedSet(tags []string) []string {
	out := append([]string(nil), tags...)
	sort.Strings(out)
	n := 0
	for i, t := range out {
		if i > 0 && t == out[n-1] {
			continue
		}
		out[n] = t
		n++
	}
	return out[:n]
}

// rawFieldText returns a field value for the internal text form: a JSON
// string unquoted, anything else as written.
func rawFieldText(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			return s
		}
	}
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}

const hexDigits = "0123456789abcdef"

// writeJSONString quotes s like the C++ JSON writers Falco uses, which
// differ from encoding/json (no HTML escaping, no \u2028 escaping):
//   - keepUTF8=false: jsoncpp 1.9 FastWriter (rule alerts): `"` `\` and
//     \b \f \n \r \t escaped, other bytes below 0x20 as \u00xx, every
//     non-ASCII code point as \uxxxx (UTF-16 surrogate pairs above the BMP);
//   - keepUTF8=true: nlohmann dump (internal alerts): the same escapes for
//     ASCII, UTF-8 copied unchanged.
//
// Invalid UTF-8 bytes become \ufffd in both modes.
func writeJSONString(b *strings.Builder, s string, keepUTF8 bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 {
					writeU16(b, uint16(c))
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeU16(b, 0xfffd)
		case keepUTF8:
			b.WriteString(s[i : i+size])
		case r < 0x10000:
			writeU16(b, uint16(r))
		default:
			r -= 0x10000
			writeU16(b, uint16(0xd800+(r>>10)&0x3ff))
			writeU16(b, uint16(0xdc00+r&0x3ff))
		}
		i += size
	}
	b.WriteByte('"')
}

func writeU16(b *strings.Builder, v uint16) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[v>>12&0xf])
	b.WriteByte(hexDigits[v>>8&0xf])
	b.WriteByte(hexDigits[v>>4&0xf])
	b.WriteByte(hexDigits[v&0xf])
}
