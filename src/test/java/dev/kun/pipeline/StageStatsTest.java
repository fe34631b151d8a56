package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StageStatsTest {

    @Test
    void countersAddUpAndSurviveAJsonRoundTrip() {
        StageStats s = new StageStats("filter");
        s.kept(10, 20);
        s.kept(1, 2);
        s.dropped("repetition", 0, 0);
        s.dropped("output_keyword", 0, 0);
        s.dropped("repetition", 0, 0);
        s.badInput("malformed_json");
        s.addSeconds(1.25);
        assertEquals("{\"stage\":\"filter\",\"total\":6,\"kept\":2,\"dropped\":3,\"bad_input\":1,"
                + "\"dropped_output_keyword\":1,\"dropped_repetition\":2,\"bad_input_malformed_json\":1,"
                + "\"tokens_in\":11,\"tokens_out\":22,\"seconds\":1.25}", s.toJson(true).toString());
        StageStats back = StageStats.fromJson(s.toJson(true));
        assertEquals(s.toJson(true), back.toJson(true));
        back.kept(0, 0);
        assertEquals(7, back.total());
        assertEquals("filter: 7 records, 3 kept, 3 dropped (output_keyword 1, repetition 2), 1 bad input"
                + " (malformed_json 1), tokens 11 in / 22 out, 1.3 s", back.summary());
    }
}
