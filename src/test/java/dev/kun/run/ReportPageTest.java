package dev.kun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReportPageTest {
    @Test
    void sharesNeverRoundToAllOrNothingWhenTheyAreNot() {
        assertEquals("99.9%", ReportPage.pct(1999, 2000), "one dropped is not 100.0% kept");
        assertEquals("0.1%", ReportPage.pct(1, 20000));
        assertEquals("100.0%", ReportPage.pct(5, 5));
        assertEquals("0.0%", ReportPage.pct(0, 5));
        assertEquals("33.3%", ReportPage.pct(1, 3));
        assertEquals("-", ReportPage.pct(0, 0));
    }

    @Test
    void textIsEscapedForElementsAndAttributes() {
        assertEquals("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;", ReportPage.esc("<a href=\"x\" title='y'>&</a>"));
    }
}
