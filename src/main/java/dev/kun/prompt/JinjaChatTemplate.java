package dev.kun.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import java.beans.FeatureDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * A checkpoint's own chat template ({@code --chat-template model}): the Jinja {@code chat_template} of its
 * {@code tokenizer_config.json} (or its {@code chat_template.jinja}), rendered as Hugging Face's
 * {@code apply_chat_template(messages, add_generation_prompt=True)} renders it, on Jinjava. What
 * transformers adds to plain Jinja is added here too: {@code raise_exception(message)}, the special
 * tokens ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}) as variables, blocks
 * trimmed as with {@code trim_blocks} and {@code lstrip_blocks}, and the Python string methods templates
 * call ({@code strip}, {@code lstrip}, {@code rstrip}, {@code startswith}, {@code endswith}, {@code upper},
 * {@code lower}, {@code title}, {@code capitalize}, {@code split}, {@code replace}). Values are never
 * rendered again, so a document holding {@code {{ }}} reaches the model as written.
 */
public final class JinjaChatTemplate implements ChatFormat {
    private static final String[] SPECIAL_TOKENS = {"bos_token", "eos_token", "unk_token", "pad_token"};

    private final String source;
    private final String template;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    private JinjaChatTemplate(String source, String template, Map<String, String> specialTokens) {
        this.source = source;
        // Jinja drops a template's single final newline (keep_trailing_newline=False); Jinjava keeps it.
        this.template = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        this.specialTokens = Map.copyOf(specialTokens);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
    }

    /**
     * {@code template} with these special tokens (name to text, e.g. bos_token to {@code <s>}); checked by
     * rendering one user turn, so a template that cannot frame one fails here, as a usage error.
     */
    public static JinjaChatTemplate of(String template, Map<String, String> specialTokens, String source) {
        JinjaChatTemplate t = new JinjaChatTemplate(source, template, specialTokens);
        t.render("x");
        return t;
    }

    /**
     * The chat template of the checkpoint in {@code dir}: {@code chat_template.jinja} when present, else
     * {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of named templates, of
     * which "default" is taken). A checkpoint without one is a usage error.
     */
    public static JinjaChatTemplate load(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        JsonNode root = Json.MAPPER.createObjectNode();
        if (Files.isRegularFile(config)) {
            try {
                root = Json.MAPPER.readTree(Files.readString(config, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw KunException.usage("--chat-template model: cannot read " + config + ": " + e.getMessage());
            }
        }
        Map<String, String> specials = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKENS) {
            JsonNode token = root.path(name);
            // A plain string, or an AddedToken object {"content": ...}.
            String text = token.isTextual() ? token.textValue() : token.path("content").isTextual() ? token.path("content").textValue() : null;
            if (text != null) specials.put(name, text);
        }
        Path jinja = dir.resolve("chat_template.jinja");
        String template;
        String source;
        try {
            if (Files.isRegularFile(jinja)) {
                template = Files.readString(jinja, StandardCharsets.UTF_8);
                source = jinja.toString();
            } else {
                template = templateIn(root.path("chat_template"));
                source = config.toString();
            }
        } catch (IOException e) {
            throw KunException.usage("--chat-template model: cannot read " + jinja + ": " + e.getMessage());
        }
        if (template == null) {
            throw KunException.usage("--chat-template model: " + dir + " has no chat template (neither chat_template.jinja"
                    + " nor a chat_template in tokenizer_config.json); use --chat-template kun|vicuna|none");
        }
        return of(template, specials, source);
    }

    private static String templateIn(JsonNode node) {
        if (node.isTextual()) return node.textValue();
        if (node.isArray()) {
            for (JsonNode named : node) {
                if (named.path("name").asText("").equals("default") && named.path("template").isTextual()) {
                    return named.path("template").textValue();
                }
            }
        }
        return null;
    }

    /** One user turn holding {@code message}, with the generation prompt. */
    @Override
    public String render(String message) {
        Map<String, String> turn = new LinkedHashMap<>();
        turn.put("role", "user");
        turn.put("content", message);
        return render(List.of(turn), true);
    }

    /** The conversation {@code messages} (maps with role and content), as apply_chat_template renders it. */
    public String render(List<Map<String, String>> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(template, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw KunException.usage("chat template " + source + ": " + messageOf(error));
            }
        }
        return result.getOutput();
    }

    @Override
    public String id() {
        return "model";
    }

    /** The template text and the special tokens it sees: what changes its prompts. */
    @Override
    public String fingerprint() {
        return "model:" + PromptTemplate.sha256(template) + ":" + new java.util.TreeMap<>(specialTokens);
    }

    /** The method's stops and the template's own end of sequence. */
    @Override
    public List<String> stops() {
        List<String> stops = new ArrayList<>(METHOD_STOPS);
        String eos = specialTokens.get("eos_token");
        if (eos != null && !eos.isEmpty() && !stops.contains(eos)) stops.add(eos);
        return stops;
    }

    /** The template's text, as rendered (its single final newline dropped). */
    public String template() {
        return template;
    }

    /** transformers' {@code raise_exception}: the template refuses the conversation. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** What {@code raise_exception} threw, to tell its message apart from Jinjava's wrapping. */
    private static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    private static String messageOf(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateRaised raised) return raised.getMessage();
        }
        return error.getMessage() + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "");
    }

    /**
     * Python's str methods that chat templates call, for Java strings. Jinjava resolves method calls on
     * Java objects; only {@code strip()} exists under the same name there, and with other whitespace rules.
     */
    private static final class PythonStringMethods extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
            if (!(base instanceof String s) || method == null) return null;
            Object[] p = params == null ? new Object[0] : params;
            Object result = call(s, method.toString(), p);
            if (result != null) context.setPropertyResolved(true);
            return result;
        }

        private static Object call(String s, String method, Object[] p) {
            String arg = p.length > 0 && p[0] != null ? p[0].toString() : null;
            return switch (method) {
                case "strip" -> p.length > 1 ? null : rstrip(lstrip(s, arg), arg);
                case "lstrip" -> p.length > 1 ? null : lstrip(s, arg);
                case "rstrip" -> p.length > 1 ? null : rstrip(s, arg);
                case "startswith" -> arg == null ? null : s.startsWith(arg);
                case "endswith" -> arg == null ? null : s.endsWith(arg);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                case "title" -> title(s);
                case "split" -> split(s, arg);
                case "replace" -> p.length == 2 && arg != null && p[1] != null ? s.replace(arg, p[1].toString()) : null;
                default -> null;
            };
        }

        private static boolean strips(int c, String chars) {
            return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
        }

        private static String lstrip(String s, String chars) {
            int i = 0;
            while (i < s.length() && strips(s.charAt(i), chars)) i++;
            return s.substring(i);
        }

        private static String rstrip(String s, String chars) {
            int j = s.length();
            while (j > 0 && strips(s.charAt(j - 1), chars)) j--;
            return s.substring(0, j);
        }

        private static String title(String s) {
            StringBuilder sb = new StringBuilder(s.length());
            boolean start = true;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = !Character.isLetter(c);
            }
            return sb.toString();
        }

        private static List<String> split(String s, String sep) {
            List<String> out = new ArrayList<>();
            if (sep == null) {
                for (String w : s.strip().split("\\s+")) if (!w.isEmpty()) out.add(w);
                return out;
            }
            if (sep.isEmpty()) return null;
            int at = 0;
            for (int i; (i = s.indexOf(sep, at)) >= 0; at = i + sep.length()) out.add(s.substring(at, i));
            out.add(s.substring(at));
            return out;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }
}
