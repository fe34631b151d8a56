package dev.kun.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as one self-contained HTML page, drawn from report.json's content: inline CSS and SVG, no
 * script, font or image from anywhere, so it opens from a file with no network. Every piece of record
 * text is HTML-escaped. Top to bottom: the funnel (records into and out of each stage), why records were
 * dropped, time and throughput, generation lengths, and examples.
 */
final class ReportPage {
    private static final String KEPT = "#2f9e44";
    private static final String DROPPED = "#f08c00";
    private static final String BAD = "#868e96";
    private static final String TRACK = "#f1f3f5";

    private ReportPage() {}

    static String render(JsonNode report) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kun run report</title>\n");
        // While the run goes on, the page reloads itself: it is rewritten at every checkpoint.
        if (report.path("status").asText().equals("running")) h.append("<meta http-equiv=\"refresh\" content=\"15\">\n");
        h.append("<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1180px;color:#212529;padding:0 16px}\n")
                .append("h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}\n")
                .append("h3{font-size:15px;margin:14px 0 4px}.lead{font-size:17px;margin:8px 0}.muted{color:#868e96}\n")
                .append(".ok{color:#2f9e44;font-weight:600}.bad{color:#e03131;font-weight:600}\n")
                .append("table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #e9ecef;white-space:nowrap}\n")
                .append("th:first-child,td:first-child{text-align:left}th{background:#f8f9fa}\n")
                .append("svg text{font-family:inherit;font-size:13px}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:-1px}\n")
                .append("pre{background:#f8f9fa;padding:8px;font-size:12px;white-space:pre-wrap;word-break:break-all;margin:4px 0 10px}\n")
                .append("details{margin:4px 0}summary{cursor:pointer;font-weight:600}.grid{display:flex;flex-wrap:wrap;gap:12px 40px}\n")
                .append("</style></head><body>\n");
        header(h, report);
        funnel(h, report);
        reasons(h, report);
        throughput(h, report);
        lengths(h, report);
        examples(h, report);
        h.append("<p class=\"muted\">Written by kun run; the same numbers are in report.json beside this page.</p>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void header(StringBuilder h, JsonNode r) {
        JsonNode stages = r.path("stages");
        long in = stages.size() > 0 ? stages.get(0).path("stats").path("total").asLong(-1) : -1;
        JsonNode fin = r.path("final");
        String status = r.path("status").asText();
        h.append("<h1>kun run: where the corpus went</h1>\n<p class=\"muted\">").append(esc(r.path("updated").asText()))
                .append(" &middot; work directory ").append(esc(r.path("work_dir").asText()))
                .append(" &middot; input ").append(esc(String.join(", ", texts(r.path("inputs"))))).append("</p>\n");
        h.append("<p class=\"lead\">");
        if (status.equals("running")) {
            String current = "";
            for (JsonNode s : stages) if (s.path("state").asText().equals("running")) current = s.path("name").asText();
            h.append("<b>Running</b>").append(current.isEmpty() ? "" : ": stage " + esc(current)).append(". ");
        } else if (!status.equals("complete")) {
            h.append("<b class=\"bad\">").append(esc(status)).append("</b>");
            if (r.has("message")) h.append(": ").append(esc(r.path("message").asText()));
            h.append(". ");
        }
        if (in >= 0) h.append("<b>").append(num(in)).append("</b> documents in");
        if (fin.has("records")) {
            long out = fin.path("records").asLong();
            h.append(" &rarr; <b>").append(num(out)).append("</b> records in the final dataset");
            if (in > 0) h.append(" (").append(pct(out, in)).append(")");
            h.append(", ").append(esc(fin.path("path").asText())).append(" (").append(esc(fin.path("format").asText())).append(")");
        }
        h.append(".</p>\n");
        JsonNode a = r.path("accounted");
        if (a.has("balanced")) {
            boolean ok = a.path("balanced").asBoolean();
            h.append("<p class=\"").append(ok ? "ok" : "bad").append("\">")
                    .append(ok ? "&#10003; Every document is accounted for: " : "&#10007; Documents are not accounted for: ")
                    .append(num(a.path("documents_in").asLong())).append(ok ? " = " : " &ne; ")
                    .append(num(a.path("final").asLong())).append(" in the final dataset + ")
                    .append(num(a.path("ledger").asLong())).append(" in ").append(esc(r.path("ledger").path("path").asText()))
                    .append("</p>\n");
        }
        List<String> losses = new ArrayList<>();
        for (JsonNode s : stages) {
            for (Reason reason : reasons(s.path("stats"))) {
                if (in > 0 && reason.count * 10 >= in) {
                    losses.add(esc(s.path("name").asText()) + " (" + esc(reason.label) + ": " + pct(reason.count, in) + ")");
                }
            }
        }
        if (!losses.isEmpty()) {
            h.append("<p>Largest losses, as shares of the documents in: ").append(String.join(", ", losses)).append(".</p>\n");
        }
    }

    /** One row per stage, bars centred so the run reads as a funnel: the whole bar is what came in, green what went on. */
    private static void funnel(StringBuilder h, JsonNode r) {
        JsonNode stages = r.path("stages");
        long max = 1;
        for (JsonNode s : stages) max = Math.max(max, s.path("stats").path("total").asLong());
        int rows = stages.size() + 1;
        int rowHeight = 34;
        int labelWidth = 190;
        int barWidth = 560;
        int width = 1140;
        h.append("<h2>Funnel: records in and out of each stage</h2>\n");
        h.append("<div class=\"legend\"><span style=\"background:").append(KEPT).append("\"></span>kept")
                .append("<span style=\"background:").append(DROPPED).append("\"></span>dropped")
                .append("<span style=\"background:").append(BAD).append("\"></span>bad input</div>\n");
        h.append("<svg width=\"").append(width).append("\" height=\"").append(rows * rowHeight + 8)
                .append("\" role=\"img\" aria-label=\"funnel\">\n");
        int y = 4;
        for (JsonNode s : stages) {
            JsonNode st = s.path("stats");
            String state = s.path("state").asText();
            h.append(text(8, y + 21, s.path("index").asText() + " " + s.path("name").asText(), "font-weight:600"));
            if (!st.has("total")) {
                h.append(text(labelWidth + barWidth + 20, y + 21, state, "fill:#868e96"));
                y += rowHeight;
                continue;
            }
            long total = st.path("total").asLong();
            long kept = st.path("kept").asLong();
            long dropped = st.path("dropped").asLong();
            long bad = st.path("bad_input").asLong();
            double scale = (double) barWidth / max;
            double wTotal = Math.max(total > 0 ? 1 : 0, total * scale);
            double x0 = labelWidth + (barWidth - wTotal) / 2;
            h.append(rect(labelWidth, y + 6, barWidth, 22, TRACK));
            double x = x0;
            x = segment(h, x, y, bad * scale / 2, BAD);
            x = segment(h, x, y, dropped * scale / 2, DROPPED);
            x = segment(h, x, y, kept * scale, KEPT);
            x = segment(h, x, y, dropped * scale / 2, DROPPED);
            segment(h, x, y, bad * scale / 2, BAD);
            StringBuilder label = new StringBuilder();
            label.append(num(total)).append(" in \u2192 ").append(num(kept)).append(" kept");
            if (dropped > 0) label.append(" \u00b7 ").append(num(dropped)).append(" dropped");
            if (bad > 0) label.append(" \u00b7 ").append(num(bad)).append(" bad input");
            if (total > 0) label.append(" (").append(pct(kept, total)).append(" kept)");
            if (!state.equals("complete")) label.append(" \u00b7 ").append(state);
            h.append(text(labelWidth + barWidth + 20, y + 21, label.toString(), null));
            y += rowHeight;
        }
        JsonNode fin = r.path("final");
        h.append(text(8, y + 21, "final dataset", "font-weight:600"));
        if (fin.has("records")) {
            long out = fin.path("records").asLong();
            double w = Math.max(out > 0 ? 1 : 0, out * (double) barWidth / max);
            h.append(rect(labelWidth, y + 6, barWidth, 22, TRACK));
            h.append(rect(labelWidth + (barWidth - w) / 2, y + 6, w, 22, "#1971c2"));
            h.append(text(labelWidth + barWidth + 20, y + 21, num(out) + " records \u2192 " + fin.path("path").asText(), null));
        } else {
            h.append(text(labelWidth + barWidth + 20, y + 21, "not written yet", "fill:#868e96"));
        }
        h.append("</svg>\n");
    }

    private static double segment(StringBuilder h, double x, int y, double w, String color) {
        if (w <= 0) return x;
        h.append(rect(x, y + 6, w, 22, color));
        return x + w;
    }

    private record Reason(String label, long count, boolean bad) {}

    /** A stage's drop and bad-input reasons, largest first. */
    private static List<Reason> reasons(JsonNode stats) {
        List<Reason> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = stats.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.startsWith("dropped_")) out.add(new Reason(key.substring(8), e.getValue().asLong(), false));
            if (key.startsWith("bad_input_")) out.add(new Reason("bad input: " + key.substring(10), e.getValue().asLong(), true));
        }
        out.sort((a, b) -> Long.compare(b.count, a.count));
        return out;
    }

    private static void reasons(StringBuilder h, JsonNode r) {
        h.append("<h2>Why records were dropped</h2>\n");
        long max = 1;
        boolean any = false;
        for (JsonNode s : r.path("stages")) {
            for (Reason reason : reasons(s.path("stats"))) {
                max = Math.max(max, reason.count);
                any = true;
            }
        }
        if (!any) {
            h.append("<p class=\"muted\">No record has been dropped so far.</p>\n");
            return;
        }
        h.append("<div class=\"grid\">\n");
        for (JsonNode s : r.path("stages")) {
            List<Reason> list = reasons(s.path("stats"));
            if (list.isEmpty()) continue;
            long total = s.path("stats").path("total").asLong();
            h.append("<div><h3>").append(esc(s.path("index").asText() + " " + s.path("name").asText()))
                    .append(" <span class=\"muted\">(of ").append(num(total)).append(" in)</span></h3>\n");
            int rowHeight = 24;
            h.append("<svg width=\"540\" height=\"").append(list.size() * rowHeight + 4).append("\">\n");
            int y = 2;
            for (Reason reason : list) {
                double w = Math.max(1, 220.0 * reason.count / max);
                h.append(text(0, y + 16, reason.label, null));
                h.append(rect(200, y + 4, 220, 16, TRACK));
                h.append(rect(200, y + 4, w, 16, reason.bad ? BAD : DROPPED));
                h.append(text(428, y + 16, num(reason.count) + " (" + pct(reason.count, total) + ")", null));
                y += rowHeight;
            }
            h.append("</svg></div>\n");
        }
        h.append("</div>\n");
    }

    private static void throughput(StringBuilder h, JsonNode r) {
        h.append("<h2>Tokens, time and throughput</h2>\n<table>\n<tr><th>stage</th><th>state</th><th>in</th><th>kept</th>")
                .append("<th>dropped</th><th>bad input</th><th>tokens in</th><th>tokens out</th><th>time</th>")
                .append("<th>records/s</th><th>tokens out/s</th><th>model</th></tr>\n");
        for (JsonNode s : r.path("stages")) {
            JsonNode st = s.path("stats");
            h.append("<tr><td>").append(esc(s.path("index").asText() + " " + s.path("name").asText())).append("</td><td>")
                    .append(esc(s.path("state").asText())).append("</td>");
            if (st.has("total")) {
                for (String k : new String[] {"total", "kept", "dropped", "bad_input", "tokens_in", "tokens_out"}) {
                    h.append("<td>").append(num(st.path(k).asLong())).append("</td>");
                }
                h.append("<td>").append(duration(st.path("seconds").asDouble())).append("</td><td>")
                        .append(rate(s.path("records_per_second").asDouble())).append("</td><td>")
                        .append(st.path("tokens_out").asLong() > 0 ? rate(s.path("tokens_out_per_second").asDouble()) : "")
                        .append("</td>");
            } else {
                h.append("<td colspan=\"9\"></td>");
            }
            String model = s.path("about").path("model").asText("");
            // A checkpoint by its folder's name; servers (URLs) as they are.
            String shortName = model.isEmpty() || model.contains("://") ? model
                    : java.nio.file.Path.of(model).getFileName().toString();
            h.append("<td title=\"").append(esc(model)).append("\">").append(esc(shortName)).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void lengths(StringBuilder h, JsonNode r) {
        List<JsonNode> model = new ArrayList<>();
        for (JsonNode s : r.path("stages")) if (s.has("generation")) model.add(s);
        if (model.isEmpty()) return;
        h.append("<h2>Generation lengths</h2>\n<div class=\"grid\">\n");
        for (JsonNode s : model) {
            JsonNode g = s.path("generation");
            h.append("<div><h3>").append(esc(s.path("name").asText())).append(": <code>").append(esc(g.path("field").asText()))
                    .append("</code> in ").append(esc(g.path("unit").asText())).append("</h3>\n<p class=\"muted\">")
                    .append(num(g.path("count").asLong()))
                    .append(" generations");
            if (g.has("mean")) {
                h.append(", mean ").append(g.path("mean").asText()).append(", median ").append(num(g.path("p50").asLong()))
                        .append(", 90% at most ").append(num(g.path("p90").asLong())).append(", longest ")
                        .append(num(g.path("max").asLong()));
            }
            h.append("</p>\n");
            JsonNode buckets = g.path("buckets");
            int first = -1;
            int last = -1;
            long max = 1;
            for (int i = 0; i < buckets.size(); i++) {
                long c = buckets.get(i).path("count").asLong();
                if (c > 0) {
                    if (first < 0) first = i;
                    last = i;
                    max = Math.max(max, c);
                }
            }
            if (first >= 0) {
                int n = last - first + 1;
                int colWidth = 48;
                h.append("<svg width=\"").append(n * colWidth + 10).append("\" height=\"150\">\n");
                for (int i = first; i <= last; i++) {
                    JsonNode b = buckets.get(i);
                    long c = b.path("count").asLong();
                    double bh = 100.0 * c / max;
                    int x = (i - first) * colWidth + 4;
                    h.append(rect(x, 112 - bh, colWidth - 8, bh, "#4dabf7"));
                    h.append(text(x, 108 - bh, num(c), "font-size:11px"));
                    String range = b.has("to") ? b.path("from").asText() + "-" + b.path("to").asText() : b.path("from").asText() + "+";
                    h.append(text(x, 128, range, "font-size:11px"));
                }
                h.append("</svg>\n");
            }
            h.append("</div>\n");
        }
        h.append("</div>\n");
    }

    private static void examples(StringBuilder h, JsonNode r) {
        h.append("<h2>Examples</h2>\n<p class=\"muted\">The first kept records of each stage and the first rejects of each")
                .append(" reason; long fields are cut. All of them are in the stage files and the ledger.</p>\n");
        for (JsonNode s : r.path("stages")) {
            JsonNode ex = s.path("examples");
            if (ex.isMissingNode()) continue;
            String name = s.path("index").asText() + " " + s.path("name").asText();
            h.append("<h3>").append(esc(name)).append("</h3>\n");
            details(h, "kept", ex.path("kept"));
            for (Iterator<Map.Entry<String, JsonNode>> it = ex.path("rejected").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                details(h, "rejected: " + e.getKey(), e.getValue());
            }
        }
    }

    private static void details(StringBuilder h, String title, JsonNode records) {
        if (records.size() == 0) return;
        h.append("<details><summary>").append(esc(title)).append(" (").append(records.size()).append(")</summary>\n");
        for (JsonNode record : records) {
            try {
                h.append("<pre>").append(esc(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(record))).append("</pre>\n");
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        h.append("</details>\n");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String rect(double x, double y, double w, double height, String fill) {
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                x, y, w, height, fill);
    }

    private static String text(double x, double y, String content, String style) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\"%s>%s</text>\n", x, y,
                style == null ? "" : " style=\"" + style + "\"", esc(content));
    }

    static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** {@code part} of {@code whole} to a tenth of a percent; never 100.0% short of the whole, nor 0.0% of something. */
    static String pct(long part, long whole) {
        if (whole <= 0) return "-";
        String p = String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
        if (p.equals("100.0%") && part < whole) return "99.9%";
        if (p.equals("0.0%") && part > 0) return "0.1%";
        return p;
    }

    private static String rate(double perSecond) {
        return perSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", perSecond) : String.format(Locale.ROOT, "%.2f", perSecond);
    }

    private static String duration(double seconds) {
        if (seconds < 10) return String.format(Locale.ROOT, "%.2f s", seconds);
        if (seconds < 60) return String.format(Locale.ROOT, "%.1f s", seconds);
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    /** Text as HTML text or attribute content: the five characters that could end either are escaped. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
