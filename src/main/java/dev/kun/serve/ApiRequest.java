package dev.kun.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.generate.SamplingParams;
import dev.kun.record.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One completion or chat request, every field checked for its type and range before any work: a wrong
 * one is a 400 naming the field. OpenAI's defaults where a field is absent or null (temperature 1, top_p
 * 1); vLLM's extensions {@code top_k}, {@code repetition_penalty}, {@code stop_token_ids} and
 * {@code min_p} (0 only) are read too, so a client written for vLLM (kun's own --endpoint) gets the same. Features this server
 * does not implement ({@code n} > 1, logprobs, echo, tools, penalties other than repetition) are refused
 * rather than ignored, so a client never gets an answer to a question it did not ask.
 *
 * @param prompt    the completion prompt; null for chat
 * @param messages  the chat turns; null for completions
 * @param maxTokens the requested budget, or null to take the endpoint's default
 * @param seed      the request's seed, or null for a random one
 */
record ApiRequest(
        Endpoint endpoint,
        String model,
        String prompt,
        List<ChatMessage> messages,
        Integer maxTokens,
        double temperature,
        double topP,
        int topK,
        double repetitionPenalty,
        List<String> stop,
        List<Integer> stopTokenIds,
        Long seed,
        boolean stream,
        boolean includeUsage) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    /** Parses {@code body} (a JSON object) as a request to {@code endpoint}. */
    static ApiRequest parse(Endpoint endpoint, JsonNode body) {
        if (!body.isObject()) throw ApiError.invalid(null, "the request body must be a JSON object");
        String surrogate = Json.loneSurrogateField(body);
        if (surrogate != null) throw ApiError.invalid(surrogate, "'" + surrogate + "' holds a lone surrogate (invalid Unicode)");
        String model = string(body, "model");
        if (model == null) throw ApiError.invalid("model", "you must provide a model parameter");

        String prompt = null;
        List<ChatMessage> messages = null;
        Integer maxTokens;
        if (endpoint == Endpoint.COMPLETIONS) {
            prompt = prompt(body.get("prompt"));
            maxTokens = positiveInt(body, "max_tokens");
            refuseUnless(body, "echo", JsonNode::isBoolean, v -> !v.booleanValue(), "echo is not supported");
            refuseUnless(body, "suffix", JsonNode::isTextual, v -> v.textValue().isEmpty(), "suffix is not supported");
            refuseUnless(body, "best_of", JsonNode::isIntegralNumber, v -> v.asLong() == 1, "best_of other than 1 is not supported");
            refuseUnless(body, "logprobs", JsonNode::isIntegralNumber, v -> false, "logprobs are not supported");
        } else {
            messages = messages(body.get("messages"));
            Integer legacy = positiveInt(body, "max_tokens");
            Integer current = positiveInt(body, "max_completion_tokens");
            maxTokens = current != null ? current : legacy;
            refuseUnless(body, "logprobs", JsonNode::isBoolean, v -> !v.booleanValue(), "logprobs are not supported");
            refuseUnless(body, "top_logprobs", JsonNode::isIntegralNumber, v -> false, "top_logprobs are not supported");
            refuseUnless(body, "tools", JsonNode::isArray, JsonNode::isEmpty, "tools are not supported");
            refuseUnless(body, "functions", JsonNode::isArray, JsonNode::isEmpty, "functions are not supported");
            refuseUnless(body, "tool_choice", v -> true, v -> v.isTextual() && v.textValue().equals("none"),
                    "tool_choice other than \"none\" is not supported");
            refuseUnless(body, "response_format", JsonNode::isObject, v -> v.path("type").asText("").equals("text"),
                    "response_format other than {\"type\": \"text\"} is not supported");
        }
        refuseUnless(body, "n", JsonNode::isIntegralNumber, v -> v.asLong() == 1, "n other than 1 is not supported");
        refuseUnless(body, "presence_penalty", JsonNode::isNumber, v -> v.asDouble() == 0,
                "presence_penalty is not supported (use repetition_penalty)");
        refuseUnless(body, "frequency_penalty", JsonNode::isNumber, v -> v.asDouble() == 0,
                "frequency_penalty is not supported (use repetition_penalty)");
        refuseUnless(body, "logit_bias", JsonNode::isObject, JsonNode::isEmpty, "logit_bias is not supported");
        refuseUnless(body, "min_p", JsonNode::isNumber, v -> v.asDouble() == 0, "min_p other than 0 is not supported");

        double temperature = number(body, "temperature", 1, 0, 2, false);
        double topP = number(body, "top_p", 1, 0, 1, true);
        Integer topK = integer(body, "top_k");
        if (topK != null && topK < -1) throw ApiError.invalid("top_k", "top_k must be -1 or 0 (off) or a positive number: " + topK);
        double repetitionPenalty = number(body, "repetition_penalty", 1, 0, Double.MAX_VALUE, true);
        JsonNode seedNode = present(body, "seed");
        Long seed = null;
        if (seedNode != null) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) throw ApiError.invalid("seed", "seed must be an integer");
            seed = seedNode.longValue();
        }
        boolean stream = bool(body, "stream");
        boolean includeUsage = false;
        JsonNode options = present(body, "stream_options");
        if (options != null) {
            if (!options.isObject()) throw ApiError.invalid("stream_options", "stream_options must be an object");
            includeUsage = bool(options, "include_usage");
        }
        return new ApiRequest(endpoint, model, prompt, messages, maxTokens, temperature, topP,
                topK == null || topK < 0 ? 0 : topK, repetitionPenalty, stop(body.get("stop")), stopTokenIds(body.get("stop_token_ids")),
                seed, stream, includeUsage);
    }

    /** The sampling settings with a budget of {@code budget} tokens. */
    SamplingParams sampling(int budget) {
        return new SamplingParams(temperature, topP, topK, repetitionPenalty, budget, stop, stopTokenIds);
    }

    /** A field's value, or null when it is absent or JSON null (OpenAI treats both as "use the default"). */
    private static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static String string(JsonNode body, String field) {
        JsonNode v = present(body, field);
        if (v == null) return null;
        if (!v.isTextual()) throw ApiError.invalid(field, field + " must be a string");
        return v.textValue();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = present(body, field);
        if (v == null) return false;
        if (!v.isBoolean()) throw ApiError.invalid(field, field + " must be a boolean");
        return v.booleanValue();
    }

    private static Integer integer(JsonNode body, String field) {
        JsonNode v = present(body, field);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiError.invalid(field, field + " must be an integer");
        return v.intValue();
    }

    private static Integer positiveInt(JsonNode body, String field) {
        Integer v = integer(body, field);
        if (v != null && v < 1) throw ApiError.invalid(field, field + " must be at least 1: " + v);
        return v;
    }

    /** A number in [min, max], or in (min, max] when {@code minExclusive}; {@code absent} when missing. */
    private static double number(JsonNode body, String field, double absent, double min, double max, boolean minExclusive) {
        JsonNode v = present(body, field);
        if (v == null) return absent;
        if (!v.isNumber()) throw ApiError.invalid(field, field + " must be a number");
        double d = v.asDouble();
        boolean low = minExclusive ? d <= min : d < min;
        if (low || d > max || Double.isNaN(d)) {
            String range = (minExclusive ? "(" : "[") + fmt(min) + ", " + (max == Double.MAX_VALUE ? "inf)" : fmt(max) + "]");
            throw ApiError.invalid(field, field + " must be in " + range + ": " + v.asText());
        }
        return d;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /**
     * A field this server implements only at its default value: absent, null, or of {@code type} and
     * {@code accepted}, else a 400 (of the wrong type: invalid; another value: unsupported).
     */
    private static void refuseUnless(JsonNode body, String field, java.util.function.Predicate<JsonNode> type,
                                     java.util.function.Predicate<JsonNode> accepted, String message) {
        JsonNode v = present(body, field);
        if (v == null) return;
        if (!type.test(v)) throw ApiError.invalid(field, field + " has the wrong type");
        if (!accepted.test(v)) throw ApiError.unsupported(field, message);
    }

    /** A string, or an array of exactly one string; token-id prompts and batches are refused. */
    private static String prompt(JsonNode v) {
        if (v == null || v.isNull()) throw ApiError.invalid("prompt", "you must provide a prompt");
        if (v.isTextual()) return v.textValue();
        if (v.isArray() && v.size() == 1 && v.get(0).isTextual()) return v.get(0).textValue();
        if (v.isArray() && v.size() > 1) throw ApiError.unsupported("prompt", "a batch of prompts is not supported: send one per request");
        if (v.isArray() && !v.isEmpty() && (v.get(0).isIntegralNumber() || v.get(0).isArray())) {
            throw ApiError.unsupported("prompt", "token-id prompts are not supported: send text");
        }
        throw ApiError.invalid("prompt", "prompt must be a string");
    }

    private static List<String> stop(JsonNode v) {
        if (v == null || v.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.textValue());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) throw ApiError.invalid("stop", "stop must be a string or an array of strings");
                out.add(s.textValue());
            }
        } else {
            throw ApiError.invalid("stop", "stop must be a string or an array of strings");
        }
        for (String s : out) {
            if (s.isEmpty()) throw ApiError.invalid("stop", "stop strings must not be empty");
        }
        return out;
    }

    private static List<Integer> stopTokenIds(JsonNode v) {
        if (v == null || v.isNull()) return List.of();
        if (!v.isArray()) throw ApiError.invalid("stop_token_ids", "stop_token_ids must be an array of token ids");
        List<Integer> out = new ArrayList<>(v.size());
        for (JsonNode id : v) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw ApiError.invalid("stop_token_ids", "stop_token_ids must be an array of token ids");
            }
            out.add(id.intValue());
        }
        return out;
    }

    private static List<ChatMessage> messages(JsonNode v) {
        if (v == null || v.isNull()) throw ApiError.invalid("messages", "you must provide messages");
        if (!v.isArray()) throw ApiError.invalid("messages", "messages must be an array");
        if (v.isEmpty()) throw ApiError.invalid("messages", "messages must not be empty");
        List<ChatMessage> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.invalid(where, where + " must be an object");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiError.invalid(where + ".role", where + ".role must be a string");
            if (!ROLES.contains(role.textValue())) {
                throw ApiError.unsupported(where + ".role", "role '" + role.textValue() + "' is not supported (system,"
                        + " developer, user, assistant)");
            }
            out.add(new ChatMessage(role.textValue(), content(m.get("content"), role.textValue(), where + ".content")));
        }
        return out;
    }

    /** A string, or an array of text parts joined with newlines (as vLLM joins them). */
    private static String content(JsonNode v, String role, String where) {
        if (v == null || v.isNull()) {
            if (role.equals("assistant")) return "";
            throw ApiError.invalid(where, where + " is required");
        }
        if (v.isTextual()) return v.textValue();
        if (!v.isArray()) throw ApiError.invalid(where, where + " must be a string or an array of content parts");
        List<String> parts = new ArrayList<>();
        for (JsonNode part : v) {
            String type = part.path("type").asText("");
            if (!part.isObject() || !part.path("text").isTextual() || !type.equals("text")) {
                if (part.isObject() && !type.equals("text") && !type.isEmpty()) {
                    throw ApiError.unsupported(where, "content parts of type '" + type + "' are not supported (text only)");
                }
                throw ApiError.invalid(where, where + " parts must be {\"type\": \"text\", \"text\": ...}");
            }
            parts.add(part.get("text").textValue());
        }
        return String.join("\n", parts);
    }
}
