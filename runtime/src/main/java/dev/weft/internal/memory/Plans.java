package dev.weft.internal.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * How the estimator measures instances of each class, computed once per class and layout.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: {@link ClassValue} caches of immutable plans.
 */
public final class Plans {
    /** Shared process-wide, not owned by any graph: counted as zero and not traversed. */
    public static final int SHARED = 0;
    /** An array of primitives: size from length, nothing to traverse. */
    public static final int PRIMITIVE_ARRAY = 1;
    /** An array of references: size from length, elements traversed. */
    public static final int REFERENCE_ARRAY = 2;
    /** An instance whose reference fields are all readable: shallow size, fields traversed. */
    public static final int INSTANCE = 3;
    /** A {@code String} whose {@code value} is not readable: sized from its length and coder (exact). */
    public static final int STRING_MODEL = 4;
    /** An instance with unreadable reference fields: shallow size plus a model of known collections. */
    public static final int OPAQUE = 5;

    private static final Field[] NO_FIELDS = new Field[0];
    private static final Plans[] BY_LAYOUT = new Plans[Layout.values().length];

    static {
        for (Layout layout : Layout.values()) {
            BY_LAYOUT[layout.ordinal()] = new Plans(layout);
        }
    }

    /**
     * The plan for one class.
     *
     * @param kind          one of the constants above
     * @param shallowBytes  instance size (0 for arrays, which depend on length, and for shared objects)
     * @param references    readable reference fields (INSTANCE only)
     * @param componentType array element type (arrays only)
     */
    public record Plan(int kind, long shallowBytes, Field[] references, Class<?> componentType) {}

    private final Layout layout;
    private final ClassValue<Plan> plans = new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
            return compute(type);
        }
    };

    private Plans(Layout layout) {
        this.layout = layout;
    }

    /** The plans for a layout. */
    public static Plans of(Layout layout) {
        return BY_LAYOUT[layout.ordinal()];
    }

    /** The plan for a class. */
    public Plan plan(Class<?> type) {
        return plans.get(type);
    }

    private Plan compute(Class<?> type) {
        if (isShared(type)) {
            return new Plan(SHARED, 0, NO_FIELDS, null);
        }
        if (type.isArray()) {
            Class<?> component = type.getComponentType();
            return new Plan(component.isPrimitive() ? PRIMITIVE_ARRAY : REFERENCE_ARRAY, 0, NO_FIELDS, component);
        }
        long shallow = ClassShapes.of(layout).shape(type).sizeBytes();
        List<Field> references = new ArrayList<>();
        boolean readable = true;
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (c == java.lang.ref.Reference.class) {
                continue; // a weak, soft or phantom referent is not retained by the reference; nor is its queue
            }
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                if (field.trySetAccessible()) {
                    references.add(field);
                } else {
                    readable = false;
                }
            }
        }
        if (readable) {
            return new Plan(INSTANCE, shallow, references.toArray(NO_FIELDS), null);
        }
        return new Plan(type == String.class ? STRING_MODEL : OPAQUE, shallow, NO_FIELDS, null);
    }

    /**
     * Classes whose instances are shared process-wide and outlive any graph that points at them: classes, class
     * loaders, modules, threads, and enum constants.
     */
    private static boolean isShared(Class<?> type) {
        return type == Class.class || ClassLoader.class.isAssignableFrom(type) || type == Module.class
                || type == ModuleLayer.class || Thread.class.isAssignableFrom(type) || type == ThreadGroup.class
                || Enum.class.isAssignableFrom(type);
    }
}
