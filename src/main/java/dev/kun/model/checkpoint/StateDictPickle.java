package dev.kun.model.checkpoint;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a PyTorch checkpoint as data, never as code: a pickle machine that
 * knows only what {@code torch.save(state_dict)} writes. It builds tuples, lists, dicts, strings and
 * numbers, and calls only these "functions", each of which it implements itself:
 * {@code collections.OrderedDict} (an empty ordered map), {@code torch._utils._rebuild_tensor_v2}
 * (a description of a tensor: storage, offset, shape, strides) and {@code _rebuild_parameter} (with
 * or without state: a Parameter is its tensor here). Storages arrive as persistent ids {@code ('storage', torch.FloatStorage, key, location,
 * numel)}: the storage class only names the element type. Every other global (such as
 * {@code posix.system} or {@code builtins.eval}, which a malicious pickle would call) and every opcode
 * that builds arbitrary objects is refused before anything else happens, with one line naming the
 * file and what it met.
 *
 * <p>Opcodes: all of protocol 2 that plain data needs, plus protocol 4's framing, short strings,
 * memoize and {@code STACK_GLOBAL} (which goes through the same check as {@code GLOBAL}).
 */
final class StateDictPickle {
    /** A tuple: immutable, distinct from a list. */
    record Tuple(List<Object> items) {}

    /** A global the machine allows, by module and name. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A storage: the zip entry {@code data/KEY}, holding {@code numel} elements of {@code dtype}. */
    record Storage(String key, String dtype, long numel) {}

    /** A tensor as {@code _rebuild_tensor_v2} describes it; offset and strides are in elements. */
    record Tensor(Storage storage, long offset, long[] shape, long[] stride) {}

    /** Storage classes by name and the dtype (safetensors spelling) of their elements. */
    static final Map<String, String> STORAGE_DTYPES = Map.ofEntries(
            Map.entry("FloatStorage", "F32"), Map.entry("HalfStorage", "F16"), Map.entry("BFloat16Storage", "BF16"),
            // Other element types are data too: a state dict may hold integer buffers the model never reads.
            Map.entry("DoubleStorage", "F64"), Map.entry("LongStorage", "I64"), Map.entry("IntStorage", "I32"),
            Map.entry("ShortStorage", "I16"), Map.entry("CharStorage", "I8"), Map.entry("ByteStorage", "U8"),
            Map.entry("BoolStorage", "BOOL"));

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    private static final Global REBUILD_PARAMETER_WITH_STATE = new Global("torch._utils", "_rebuild_parameter_with_state");

    private final byte[] data;
    private final String file;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private StateDictPickle(byte[] data, String file) {
        this.data = data;
        this.file = file;
    }

    /**
     * The tensors of the state dict pickled in {@code data}, by name, in the pickle's order.
     * {@code file} names the checkpoint in errors. Anything that is not a dict of tensors is refused.
     */
    static Map<String, Tensor> read(byte[] data, String file) {
        Object top = new StateDictPickle(data, file).run();
        if (!(top instanceof Map<?, ?> map)) {
            throw refuse(file, "its pickle holds a " + kind(top) + ", not a state dict (a dict of tensors)");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw refuse(file, "its state dict has a key that is not a string: " + e.getKey());
            }
            if (!(e.getValue() instanceof Tensor t)) {
                throw refuse(file, "its state dict maps " + name + " to a " + kind(e.getValue()) + ", not a tensor");
            }
            out.put(name, t);
        }
        return out;
    }

    private Object run() {
        while (true) {
            if (pos >= data.length) throw refuse(file, "its pickle ends without STOP (cut short?)");
            int op = data[pos++] & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) throw refuse(file, "its pickle has protocol " + v);
                }
                case 0x95 -> skip(8); // FRAME: a length hint
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> { // MARK
                    marks.add(stack.size());
                }
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(new Tuple(List.of(pop()))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop();
                    push(new Tuple(List.of(pop(), b)));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    push(new Tuple(List.of(pop(), b, c)));
                }
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(k, v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i + 1 < items.size(); i += 2) d.put(items.get(i), items.get(i + 1));
                }
                case 'N' -> push(null); // NONE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | u8() << 8)); // BININT2
                case 'J' -> push((long) le(4).getInt()); // BININT
                case 0x8a -> push(long1(u8())); // LONG1
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'X' -> push(utf8(le(4).getInt())); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 'T' -> push(new String(bytes(le(4).getInt()), StandardCharsets.ISO_8859_1)); // BINSTRING
                case 'U' -> push(new String(bytes(u8()), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw refuse(file, "its pickle names a global by something other than strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    push(call(pop(), args));
                }
                case 'b' -> { // BUILD: only the attributes of a state dict (its _metadata), dropped
                    Object state = pop();
                    if (!(peek() instanceof Map) || !(state instanceof Map || state == null)) {
                        throw refuse(file, "its pickle sets the state of a " + kind(peek()) + ", which a state dict never does");
                    }
                }
                case 'Q' -> push(storage(pop())); // BINPERSID
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(le(4).getInt() & 0xffffffffL, peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memo((long) u8())); // BINGET
                case 'j' -> push(memo(le(4).getInt() & 0xffffffffL)); // LONG_BINGET
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                default -> throw refuse(file, "its pickle uses opcode " + opName(op)
                        + ", which builds objects a state dict does not need");
            }
        }
    }

    private Object global(String module, String name) {
        Global g = new Global(module, name);
        if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR) || g.equals(REBUILD_PARAMETER)
                || g.equals(REBUILD_PARAMETER_WITH_STATE)) {
            return g;
        }
        if (module.equals("torch") && STORAGE_DTYPES.containsKey(name)) return g;
        throw refuse(file, "its pickle calls " + g.qualified() + ", which a state dict does not need");
    }

    /** The three callables, implemented here; a storage class or anything else is never called. */
    private Object call(Object callable, Object argsObject) {
        if (!(callable instanceof Global g) || !(argsObject instanceof Tuple t)) {
            throw refuse(file, "its pickle calls a " + kind(callable) + ", which a state dict does not need");
        }
        List<Object> args = t.items();
        if (g.equals(ORDERED_DICT)) {
            if (!args.isEmpty()) throw refuse(file, "its pickle builds an OrderedDict from arguments");
            return new LinkedHashMap<>();
        }
        if (g.equals(REBUILD_TENSOR)) {
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (args.size() < 4 || !(args.get(0) instanceof Storage s) || !(args.get(1) instanceof Long offset)) {
                throw refuse(file, "its pickle calls _rebuild_tensor_v2 with arguments that are not a tensor's");
            }
            return new Tensor(s, offset, longs(args.get(2)), longs(args.get(3)));
        }
        if (g.equals(REBUILD_PARAMETER) || g.equals(REBUILD_PARAMETER_WITH_STATE)) {
            // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor here.
            if (args.isEmpty() || !(args.get(0) instanceof Tensor tensor)) {
                throw refuse(file, "its pickle calls _rebuild_parameter without a tensor");
            }
            return tensor;
        }
        throw refuse(file, "its pickle calls " + g.qualified() + ", which a state dict does not need");
    }

    /** A persistent id: {@code ('storage', storage class, key, location, numel)}. */
    private Storage storage(Object pid) {
        if (pid instanceof Tuple t && t.items().size() >= 5 && "storage".equals(t.items().get(0))
                && t.items().get(1) instanceof Global g && STORAGE_DTYPES.containsKey(g.name())
                && t.items().get(2) instanceof String key && t.items().get(4) instanceof Long numel) {
            return new Storage(key, STORAGE_DTYPES.get(g.name()), numel);
        }
        throw refuse(file, "its pickle has a persistent id that is not a storage: " + describe(pid));
    }

    private long[] longs(Object o) {
        if (!(o instanceof Tuple t)) throw refuse(file, "a tensor's shape or strides are a " + kind(o) + ", not a tuple");
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.items().get(i) instanceof Long v)) throw refuse(file, "a tensor's shape or strides hold a non-integer");
            out[i] = v;
        }
        return out;
    }

    private Object memo(long key) {
        if (!memo.containsKey(key)) throw refuse(file, "its pickle reads memo " + key + " before writing it");
        return memo.get(key);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.get(marks.size() - 1) == stack.size())) {
            throw refuse(file, "its pickle pops an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.isEmpty()) throw refuse(file, "its pickle reads an empty stack");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw refuse(file, "its pickle closes a MARK it never opened");
        int at = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(at, stack.size()));
        stack.subList(at, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw refuse(file, "its pickle appends to a " + kind(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw refuse(file, "its pickle sets an item of a " + kind(o));
    }

    private int u8() {
        need(1);
        return data[pos++] & 0xff;
    }

    private ByteBuffer le(int n) {
        return ByteBuffer.wrap(bytes(n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private byte[] bytes(int n) {
        if (n < 0) throw refuse(file, "its pickle has a negative length");
        need(n);
        byte[] b = new byte[n];
        System.arraycopy(data, pos, b, 0, n);
        pos += n;
        return b;
    }

    private void skip(int n) {
        need(n);
        pos += n;
    }

    private void need(int n) {
        if (n > data.length - pos) throw refuse(file, "its pickle ends in the middle of an opcode (cut short?)");
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    /** A newline-terminated argument of GLOBAL. */
    private String line() {
        int end = pos;
        while (end < data.length && data[end] != '\n') end++;
        if (end >= data.length) throw refuse(file, "its pickle ends in the middle of an opcode (cut short?)");
        String s = new String(data, pos, end - pos, StandardCharsets.UTF_8);
        pos = end + 1;
        return s;
    }

    /** LONG1: {@code n} little-endian two's-complement bytes. */
    private long long1(int n) {
        byte[] le = bytes(n);
        byte[] be = new byte[Math.max(1, n)];
        for (int i = 0; i < n; i++) be[n - 1 - i] = le[i];
        if (n == 0) return 0;
        BigInteger v = new BigInteger(be);
        if (v.bitLength() > 63) throw refuse(file, "its pickle holds an integer beyond 64 bits");
        return v.longValue();
    }

    private static String opName(int op) {
        String name = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 'P' -> "PERSID";
            case 0x82, 0x83, 0x84 -> "EXT";
            case 'B', 'C', 0x8e -> "BINBYTES";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 'I', 'L', 'F', 'S', 'V', 'p', 'g', 'l', 'd' -> "of protocol 0";
            default -> null;
        };
        String hex = String.format("0x%02x", op);
        return name == null ? hex : name + " (" + hex + ")";
    }

    private static String kind(Object o) {
        if (o == null) return "None";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof Global g) return "global " + g.qualified();
        if (o instanceof Map) return "dict";
        if (o instanceof List) return "list";
        if (o instanceof Storage) return "storage";
        if (o instanceof Tensor) return "tensor";
        return o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    private static String describe(Object o) {
        String s = o instanceof Tuple t ? t.items().toString() : String.valueOf(o);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static KunException refuse(String file, String why) {
        return new KunException(ExitCodes.BACKEND, "refusing to load " + file + ": " + why
                + " (kun reads PyTorch weights without running pickle code; convert the checkpoint to safetensors if you trust it)");
    }
}
