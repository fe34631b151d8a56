package dev.kun.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.EndpointSpec;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeOpenAiServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backend switch with an endpoint: the API key from the environment, and what an endpoint cannot do. */
class BackendsEndpointTest {

    @Test
    void theApiKeyComesFromKunApiKeyElseOpenAiApiKey() {
        assertEquals("a", Backends.apiKey(Map.of("KUN_API_KEY", "a", "OPENAI_API_KEY", "b")::get));
        assertEquals("b", Backends.apiKey(Map.of("KUN_API_KEY", " ", "OPENAI_API_KEY", "b")::get));
        assertNull(Backends.apiKey(Map.<String, String>of()::get));
    }

    @Test
    void theKeyIsSentAsABearerTokenAndNeverLoggedNorInTheFingerprint() throws Exception {
        try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
            BackendSpec spec = BackendSpec.of(null).withEndpoint(EndpointSpec.of(List.of(server.url())));
            String[] fingerprint = new String[1];
            Captured c = Captured.run(new byte[0], () -> {
                try (TextGenerator g = Backends.openEndpoint(spec, Map.of("OPENAI_API_KEY", "sk-very-secret")::get)) {
                    g.generate(List.of(new GenerationRequest("hello", SamplingParams.greedy(4), 1)));
                    fingerprint[0] = g.fingerprint();
                }
                return 0;
            });
            for (FakeOpenAiServer.Seen s : server.seen) assertEquals("Bearer sk-very-secret", s.header("Authorization"));
            assertFalse(c.stderr().contains("sk-very-secret"), c.stderr());
            assertFalse(fingerprint[0].contains("sk-very-secret"), fingerprint[0]);
            assertTrue(c.stderr().contains("fake-model"), "the log says which model: " + c.stderr());
        }
    }

    @Test
    void scoringNeedsTheEngine() {
        BackendSpec spec = BackendSpec.of(null).withEndpoint(EndpointSpec.of(List.of("http://127.0.0.1:9/v1")));
        KunException e = assertThrows(KunException.class, () -> Backends.openScorer(spec));
        assertEquals(ExitCodes.USAGE, e.exitCode());
    }
}
