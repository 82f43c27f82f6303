package dev.weft.internal.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Instance shapes of loaded classes from their reflected fields, one cache per layout.
 *
 * <p>Exact for every class whose instance fields are all visible to reflection, which is every class outside
 * the JDK and most inside it. Not exact for the few JDK classes with fields the VM injects or reflection
 * filters ({@code Class}, {@code ClassLoader}, {@code Module}, {@code Thread}, reflection objects); the
 * estimator never measures those (they are shared, see {@code Sized}).
 *
 * <h2>Thread safety</h2>
 * Thread-safe: {@link ClassValue} caches, immutable shapes.
 */
public final class ClassShapes {
    private static final ClassShapes[] BY_LAYOUT = new ClassShapes[Layout.values().length];

    static {
        for (Layout layout : Layout.values()) {
            BY_LAYOUT[layout.ordinal()] = new ClassShapes(layout);
        }
    }

    private final Layout layout;
    private final ClassValue<FieldLayoutEngine.Shape> shapes = new ClassValue<>() {
        @Override
        protected FieldLayoutEngine.Shape computeValue(Class<?> type) {
            return compute(type);
        }
    };

    private ClassShapes(Layout layout) {
        this.layout = layout;
    }

    /** The shapes for a layout. */
    public static ClassShapes of(Layout layout) {
        return BY_LAYOUT[layout.ordinal()];
    }

    /**
     * The instance shape of a class that is not an array, interface or primitive.
     *
     * @throws IllegalArgumentException for arrays, interfaces, primitives and abstract classes' misuse
     */
    public FieldLayoutEngine.Shape shape(Class<?> type) {
        if (type.isArray()) {
            throw new IllegalArgumentException(type.getTypeName() + " is an array type; an array's size depends on "
                    + "its length, use Sizes.arraySizeBytes(elementType, length)");
        }
        if (type.isPrimitive() || type.isInterface()) {
            throw new IllegalArgumentException(type.getTypeName() + " has no instances of its own; pass a class");
        }
        return shapes.get(type);
    }

    private FieldLayoutEngine.Shape compute(Class<?> type) {
        Class<?> superclass = type.getSuperclass();
        FieldLayoutEngine.Shape superShape = superclass == null
                ? FieldLayoutEngine.root(layout) : shapes.get(superclass);
        List<Class<?>> fieldTypes = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                fieldTypes.add(field.getType());
            }
        }
        if (fieldTypes.isEmpty()) {
            return superShape;
        }
        int[] sizes = new int[fieldTypes.size()];
        boolean[] reference = new boolean[fieldTypes.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = layout.slotBytes(fieldTypes.get(i));
            reference[i] = !fieldTypes.get(i).isPrimitive();
        }
        return FieldLayoutEngine.extend(layout, superShape, sizes, reference).shape();
    }
}
