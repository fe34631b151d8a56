package dev.kun.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.Json;

/**
 * A request the server answers with an OpenAI error object instead of a result:
 * {@code {"error": {"message", "type", "param", "code"}}} with its HTTP status. Thrown anywhere below
 * the handler, which writes it.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** For a 405: the method the path takes (the Allow header). */
    final String allow;

    ApiError(int status, String type, String code, String param, String message) {
        this(status, type, code, param, message, null);
    }

    private ApiError(int status, String type, String code, String param, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.allow = allow;
    }

    /** 400: the request itself is wrong (malformed JSON, a wrong type, a value out of range). */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", null, param, message);
    }

    /** 400: a feature of the API this server does not implement, named by its field. */
    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", "unsupported_parameter", param, message);
    }

    /** 400: the prompt, or the prompt plus max_tokens, does not fit the model's context. */
    static ApiError contextLength(String param, String message) {
        return new ApiError(400, "invalid_request_error", "context_length_exceeded", param, message);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", null,
                "missing or incorrect API key: send it as 'Authorization: Bearer KEY'");
    }

    static ApiError modelNotFound(String model, String served) {
        return new ApiError(404, "invalid_request_error", "model_not_found", "model",
                "the model '" + model + "' does not exist; this server serves '" + served + "'");
    }

    static ApiError notFound(String path) {
        return new ApiError(404, "invalid_request_error", "not_found", null, "no such endpoint: " + path);
    }

    static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                method + " is not allowed on " + path + " (" + allowed + " is)", allowed);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body is larger than " + limit + " bytes (--max-body-bytes)");
    }

    /** 503: every decode slot is busy and the queue is full; the client should retry later. */
    static ApiError overloaded(int slots, int queue) {
        return new ApiError(503, "server_error", "server_overloaded", null,
                "the server is at capacity (" + slots + " running, " + queue + " queued); retry later");
    }

    static ApiError shuttingDown() {
        return new ApiError(503, "server_error", "shutting_down", null, "the server is shutting down");
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", null, null, message);
    }

    /** The OpenAI error object. */
    ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
