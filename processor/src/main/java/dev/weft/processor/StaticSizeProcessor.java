package dev.weft.processor;

import com.sun.source.tree.ClassTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TaskEvent;
import com.sun.source.util.TaskListener;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import dev.weft.internal.memory.FieldLayoutEngine;
import dev.weft.internal.memory.Layout;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Filer;
import javax.annotation.processing.FilerException;
import javax.annotation.processing.Messager;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;

/**
 * Computes, at compile time, the shallow and deep size of every class annotated {@code @dev.weft.memory.StaticSize}
 * for each of the four JDK 25 object layouts, and generates {@code <Name>StaticSize} with the constants.
 *
 * <p>Use it by putting {@code weft-processor} on the annotation processor path (with JDK 23 and later javac
 * runs processors only from an explicit processor path or {@code -processor}). The jar needs nothing else
 * there: it carries its own relocated copy of the layout machinery it shares with the runtime.
 * The code being compiled needs {@code weft-runtime} on its class path, for the annotations and for
 * {@code ObjectLayout}, which the generated classes call.
 *
 * <p>In a Maven build that is one {@code <path>} in the compiler plugin's {@code <annotationProcessorPaths>}:
 * {@code dev.weft:weft-processor} at Weft's version, nothing else. {@code ProcessorJarTest} compiles sources with
 * the packaged jar alone on a forked javac's processor path in every build, as such a user's build does.
 *
 * <h2>Implementation overview</h2>
 * For each annotated class and layout, the class's instance fields and its superclasses' are laid out with
 * {@link FieldLayoutEngine} (HotSpot's algorithm, shared with the runtime estimator). The deep size adds, for
 * each reference field, the deep size of the object it must hold: a {@code @StaticSize} final class or record
 * (recursively), the largest permitted subclass of a sealed type, a boxed primitive, nothing for an enum, and
 * for a {@code @FixedLength} array the array itself plus its elements. Everything else is an error reported
 * on the field, naming it and suggesting {@code RuntimeStaticSized}. Annotations are read by name, so the
 * processor never loads user classes. A field whose type is a type variable is sized by its erasure, the type
 * the JVM stores, when that is final or sealed.
 *
 * <p>Only classes whose fields javac has fixed by the time processors run are sized. Inner classes are rejected
 * (javac adds {@code this$0} later), and so are classes declared in method bodies: javac attributes those only
 * after processing, so a task listener finds them once each top-level class is analysed, and reports them.
 * Without javac's API (another compiler, or a wrapped environment) that check is skipped.
 *
 * <p>Things that don't work: computing sizes from reflection at run time (costs a walk on every start and
 * cannot reject unbounded classes at compile time); one constant for all layouts (the same class differs by up
 * to a factor of two between compact headers and uncompressed oops). Solution: one constant per layout, selected once
 * when the generated class initialises.
 */
public final class StaticSizeProcessor extends AbstractProcessor {
    static final String STATIC_SIZE = "dev.weft.memory.StaticSize";
    static final String FIXED_LENGTH = "dev.weft.memory.FixedLength";
    static final String STATIC_SIZED = "dev.weft.memory.StaticSized";
    static final String SUFFIX = "StaticSize";
    private static final String HINT = "; if its size is only known once configuration is loaded, implement "
            + "dev.weft.memory.RuntimeStaticSized instead of annotating the class @StaticSize";

    private Elements elements; // javac's processing thread only, like every field here
    private Types types;
    private Messager messager;
    private Filer filer;
    private final Set<TypeElement> sourceTypes = new java.util.HashSet<>(); // types compiled from source so far
    private final Map<String, TypeElement> generatedNames = new HashMap<>(); // generated class -> its annotated class

    @Override
    public synchronized void init(ProcessingEnvironment processingEnv) {
        super.init(processingEnv);
        elements = processingEnv.getElementUtils();
        types = processingEnv.getTypeUtils();
        messager = processingEnv.getMessager();
        filer = processingEnv.getFiler();
        watchLocalClasses(processingEnv);
    }

    /**
     * Local classes are attributed only after annotation processing, so a round never shows them; a javac task
     * listener looks for {@code @StaticSize} on them once each top-level class is analysed, and rejects it.
     * Outside javac (or with an environment wrapped by a build tool) there is no listener and local classes are
     * not checked.
     */
    private static void watchLocalClasses(ProcessingEnvironment env) {
        JavacTask task;
        Trees trees;
        try {
            task = JavacTask.instance(env);
            trees = Trees.instance(env);
        } catch (IllegalArgumentException | LinkageError e) {
            return;
        }
        task.addTaskListener(new TaskListener() {
            @Override
            public void finished(TaskEvent event) { // on javac's thread, like the processor
                if (event.getKind() != TaskEvent.Kind.ANALYZE || event.getTypeElement() == null) {
                    return;
                }
                TreePath top = trees.getPath(event.getTypeElement());
                if (top == null) {
                    return;
                }
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitClass(ClassTree tree, Void unused) {
                        if (trees.getElement(getCurrentPath()) instanceof TypeElement type
                                && isInCode(type) && annotation(type, STATIC_SIZE) != null) {
                            trees.printMessage(Diagnostic.Kind.ERROR, localClassError(type.getSimpleName().toString()),
                                    tree, getCurrentPath().getCompilationUnit());
                        }
                        return super.visitClass(tree, unused);
                    }
                }.scan(top, null);
            }
        });
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        return Set.of("*"); // also sees classes that implement StaticSized without the annotation
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        TypeElement staticSized = elements.getTypeElement(STATIC_SIZED);
        List<TypeElement> all = new ArrayList<>();
        for (Element root : round.getRootElements()) {
            collectTypes(root, all);
        }
        sourceTypes.addAll(all);
        for (TypeElement type : all) {
            boolean annotated = annotation(type, STATIC_SIZE) != null;
            if (!annotated && staticSized != null && type.getKind().isClass()
                    && types.isAssignable(types.erasure(type.asType()), types.erasure(staticSized.asType()))
                    && !type.getModifiers().contains(Modifier.ABSTRACT)) {
                messager.printMessage(Diagnostic.Kind.ERROR, type.getQualifiedName() + " implements StaticSized "
                        + "but is not annotated @StaticSize, so no compile-time size is computed; annotate it "
                        + "@StaticSize, or implement RuntimeStaticSized if its size is only known at run time", type);
            }
            if (annotated) {
                generate(type);
            }
        }
        return false;
    }

    private static void collectTypes(Element element, List<TypeElement> out) {
        if (element instanceof TypeElement type) {
            out.add(type);
            for (Element enclosed : type.getEnclosedElements()) {
                collectTypes(enclosed, out);
            }
        }
    }

    private void generate(TypeElement type) {
        String refusal = refusal(type);
        if (refusal != null) {
            messager.printMessage(Diagnostic.Kind.ERROR, type.getQualifiedName() + refusal, type);
            return;
        }
        Map<Layout, long[]> sizes = new EnumMap<>(Layout.class);
        for (Layout layout : Layout.values()) {
            Sizer sizer = new Sizer(layout, type);
            long shallow = sizer.shape(type).sizeBytes();
            long deep = sizer.deep(type);
            if (sizer.failed) {
                return; // errors already reported; the same ones would repeat for every layout
            }
            sizes.put(layout, new long[] {shallow, deep});
        }
        write(type, sizes);
    }

    /** Why a class cannot be annotated at all, or null. */
    private static String refusal(TypeElement type) {
        return switch (type.getKind()) {
            case INTERFACE, ANNOTATION_TYPE -> " is an interface: it has no instances of its own; annotate its "
                    + "implementing classes with @StaticSize instead";
            case ENUM -> " is an enum: its constants are shared singletons, sized as references where used; "
                    + "remove @StaticSize";
            default -> {
                if (type.getModifiers().contains(Modifier.ABSTRACT)) {
                    yield " is abstract: it has no instances of its own; annotate the concrete subclasses with "
                            + "@StaticSize instead";
                }
                if (isInner(type)) {
                    yield " is an inner class: javac adds a hidden reference to the enclosing instance (this$0) "
                            + "after annotation processing, so its size would be one reference short and would "
                            + "not count the enclosing object; make it static";
                }
                yield null;
            }
        };
    }

    /** A member class with an enclosing instance (records, enums and members of interfaces are static). */
    static boolean isInner(TypeElement type) {
        return type.getNestingKind() == NestingKind.MEMBER && !type.getModifiers().contains(Modifier.STATIC);
    }

    /** Whether a class is declared in a method body or initializer: local, anonymous, or nested in one. */
    static boolean isInCode(TypeElement type) {
        for (Element e = type; e instanceof TypeElement t; e = t.getEnclosingElement()) {
            if (t.getNestingKind() == NestingKind.LOCAL || t.getNestingKind() == NestingKind.ANONYMOUS) {
                return true;
            }
        }
        return false;
    }

    /** The error for {@code @StaticSize} inside a method body (javac attributes those only after processing). */
    static String localClassError(String simpleName) {
        return "@StaticSize " + simpleName + " is declared inside a method body or initializer, where the annotation "
                + "processor cannot see it, so no size is generated (and javac gives a local class hidden fields "
                + "for the enclosing instance and the captured variables after processing); move it out, to a "
                + "top-level or static nested class";
    }

    private void write(TypeElement type, Map<Layout, long[]> sizes) {
        PackageElement pkg = elements.getPackageOf(type);
        String packageName = pkg.isUnnamed() ? "" : pkg.getQualifiedName().toString();
        String simpleName = generatedSimpleName(type);
        String qualified = packageName.isEmpty() ? simpleName : packageName + "." + simpleName;
        TypeElement clash = generatedNames.putIfAbsent(qualified, type);
        if (clash != null && !clash.equals(type)) {
            messager.printMessage(Diagnostic.Kind.ERROR, "@StaticSize " + type.getQualifiedName() + " and "
                    + clash.getQualifiedName() + " both get the generated class " + qualified + " (nested classes "
                    + "are named Outer_Inner" + SUFFIX + "); rename one of them", type);
            return;
        }
        StringBuilder src = new StringBuilder();
        if (!packageName.isEmpty()) {
            src.append("package ").append(packageName).append(";\n\n");
        }
        src.append("/**\n * Compile-time sizes of {@code ").append(type.getQualifiedName())
                .append("}, generated by weft-processor; do not edit.\n")
                .append(" * Deep sizes assume every reference field holds its own, fully populated object.\n */\n")
                .append("public final class ").append(simpleName).append(" {\n");
        String[] kinds = {"SHALLOW", "DEEP"};
        for (int k = 0; k < 2; k++) {
            for (Layout layout : Layout.values()) {
                src.append("    /** ").append(k == 0 ? "Shallow" : "Deep").append(" size with layout ")
                        .append(layout.name()).append(". */\n")
                        .append("    public static final long ").append(kinds[k]).append("_BYTES_").append(layout.name())
                        .append(" = ").append(sizes.get(layout)[k]).append("L;\n");
            }
        }
        for (int k = 0; k < 2; k++) {
            src.append("    /** ").append(k == 0 ? "Shallow" : "Deep")
                    .append(" size on the layout in force, chosen once when this class initialises. */\n")
                    .append("    public static final long ").append(kinds[k])
                    .append("_BYTES = dev.weft.memory.ObjectLayout.current().select(");
            Layout[] layouts = Layout.values(); // ObjectLayout.select takes them in this order (tested)
            for (int i = 0; i < layouts.length; i++) {
                src.append(i > 0 ? ", " : "").append(kinds[k]).append("_BYTES_").append(layouts[i].name());
            }
            src.append(");\n");
        }
        src.append("\n    private ").append(simpleName).append("() {}\n}\n");
        try {
            JavaFileObject file = filer.createSourceFile(qualified, type);
            try (Writer w = file.openWriter()) {
                w.write(src.toString());
            }
        } catch (FilerException e) {
            messager.printMessage(Diagnostic.Kind.ERROR, "cannot generate " + qualified + " for @StaticSize "
                    + type.getQualifiedName() + ": " + e.getMessage() + "; a class of that name exists already, "
                    + "rename it or the annotated class", type);
        } catch (IOException e) {
            messager.printMessage(Diagnostic.Kind.ERROR, "cannot write " + qualified + ": " + e.getMessage()
                    + "; check that the generated-sources directory is writable", type);
        }
    }

    /** {@code Outer_InnerStaticSize} for {@code Outer.Inner}. */
    static String generatedSimpleName(TypeElement type) {
        Deque<String> names = new ArrayDeque<>();
        for (Element e = type; e instanceof TypeElement t; e = t.getEnclosingElement()) {
            names.addFirst(t.getSimpleName().toString());
        }
        return String.join("_", names) + SUFFIX;
    }

    private static AnnotationMirror annotation(Element element, String name) {
        for (AnnotationMirror mirror : element.getAnnotationMirrors()) {
            TypeElement annotationType = (TypeElement) mirror.getAnnotationType().asElement();
            if (annotationType.getQualifiedName().contentEquals(name)) {
                return mirror;
            }
        }
        return null;
    }

    /** The sizes of one annotated class on one layout; reports errors on the offending fields. */
    private final class Sizer {
        private final Layout layout; // the machinery's view of the ObjectLayout of the same name
        private final TypeElement root;
        private final Map<String, FieldLayoutEngine.Shape> shapes = new HashMap<>();
        private final Map<String, Long> deeps = new HashMap<>();
        private final Deque<TypeElement> inProgress = new ArrayDeque<>();
        boolean failed;

        Sizer(Layout layout, TypeElement root) {
            this.layout = layout;
            this.root = root;
        }

        FieldLayoutEngine.Shape shape(TypeElement type) {
            String key = type.getQualifiedName().toString();
            FieldLayoutEngine.Shape cached = shapes.get(key);
            if (cached != null) {
                return cached;
            }
            TypeMirror superMirror = type.getSuperclass();
            FieldLayoutEngine.Shape superShape = superMirror.getKind() == TypeKind.NONE
                    ? FieldLayoutEngine.root(layout)
                    : shape((TypeElement) types.asElement(superMirror));
            List<VariableElement> fields = instanceFields(type);
            int[] sizes = new int[fields.size()];
            boolean[] reference = new boolean[fields.size()];
            for (int i = 0; i < sizes.length; i++) {
                TypeMirror t = fields.get(i).asType();
                reference[i] = !t.getKind().isPrimitive();
                sizes[i] = reference[i] ? layout.referenceBytes() : primitiveBytes(t.getKind());
            }
            FieldLayoutEngine.Shape shape = fields.isEmpty() ? superShape
                    : FieldLayoutEngine.extend(layout, superShape, sizes, reference).shape();
            shapes.put(key, shape);
            return shape;
        }

        /** Deep size of an instance of a class, all reference fields populated; reports unbounded fields. */
        long deep(TypeElement type) {
            String key = type.getQualifiedName().toString();
            Long cached = deeps.get(key);
            if (cached != null) {
                return cached;
            }
            assert !inProgress.contains(type) : "recursion must be caught at the field: " + type;
            inProgress.push(type);
            long total = shape(type).sizeBytes();
            for (TypeElement c = type; c != null; c = superclass(c)) {
                if (c != type && isInner(c)) {
                    classError("extends " + c.getQualifiedName() + ", an inner class: javac adds a hidden reference "
                            + "to its enclosing instance (this$0) after annotation processing, so its size is not "
                            + "known here; make " + c.getQualifiedName() + " static");
                    break;
                }
                if (c != type && isJdk(c) && !isTrivialJdkSuperclass(c)) {
                    classError("extends " + c.getQualifiedName() + ", a JDK class whose fields are internal and "
                            + "unbounded; extend Object or another @StaticSize class");
                    break;
                }
                for (VariableElement field : instanceFields(c)) {
                    TypeMirror t = field.asType();
                    int[] lengths = fixedLengths(field);
                    if (lengths != null && t.getKind() != TypeKind.ARRAY) {
                        fieldError(field, "has @FixedLength but its type " + t + " is not an array, so the length "
                                + "means nothing; remove @FixedLength or make the field an array");
                    } else if (!t.getKind().isPrimitive()) {
                        total = add(total, referenced(field, t, lengths, 0));
                    }
                }
            }
            inProgress.pop();
            deeps.put(key, total);
            return total;
        }

        /** Bytes owned through a reference of type {@code t} held by {@code field} (dims from dimension d on). */
        private long referenced(VariableElement field, TypeMirror t, int[] lengths, int dimension) {
            switch (t.getKind()) {
                case ARRAY -> {
                    return array(field, (ArrayType) t, lengths, dimension);
                }
                case DECLARED -> {
                    return declared(field, (TypeElement) types.asElement(t));
                }
                case TYPEVAR -> {
                    // the JVM's field type is the erasure (the first bound): a final or sealed bound fixes the size
                    TypeMirror erased = types.erasure(t);
                    if (erased.getKind() == TypeKind.DECLARED && isClosed((TypeElement) types.asElement(erased))) {
                        return referenced(field, erased, lengths, dimension);
                    }
                    fieldError(field, "has type " + t + ", a type variable erased to " + erased + ", which is not "
                            + "final or sealed, so its implementations are unknown; bound it by a final or sealed "
                            + "@StaticSize type (<" + t + " extends Leaf>), or declare the field with such a type");
                    return 0;
                }
                case WILDCARD, INTERSECTION, UNION -> {
                    fieldError(field, "has type " + t + ", whose implementations are unknown");
                    return 0;
                }
                default -> {
                    fieldError(field, "has type " + t + ", which has no static size");
                    return 0;
                }
            }
        }

        private long array(VariableElement field, ArrayType t, int[] lengths, int dimension) {
            if (lengths == null) {
                fieldError(field, "is an array (" + field.asType() + ") without @FixedLength, so its length is not "
                        + "known at compile time; annotate it @FixedLength(n) and make it final");
                return 0;
            }
            if (dimension == 0) {
                if (!field.getModifiers().contains(Modifier.FINAL)) {
                    fieldError(field, "is a @FixedLength array but not final, so it can be replaced by an array "
                            + "of another length; make it final");
                    return 0;
                }
                int dimensions = 0;
                for (TypeMirror m = t; m.getKind() == TypeKind.ARRAY; m = ((ArrayType) m).getComponentType()) {
                    dimensions++;
                }
                if (lengths.length != dimensions) {
                    fieldError(field, "has " + dimensions + " array dimension(s) but @FixedLength gives "
                            + lengths.length + " length(s); give one length per dimension, outermost first");
                    return 0;
                }
                for (int length : lengths) {
                    if (length < 0) {
                        fieldError(field, "has @FixedLength(" + length + "); lengths must be >= 0");
                        return 0;
                    }
                }
            }
            int length = lengths[dimension];
            TypeMirror component = t.getComponentType();
            Class<?> elementClass = component.getKind().isPrimitive() ? primitiveClass(component.getKind()) : Object.class;
            long total = layout.arraySizeBytes(elementClass, length);
            if (!component.getKind().isPrimitive()) {
                long each = referenced(field, component, lengths, dimension + 1);
                total = add(total, multiply(length, each));
            }
            return total;
        }

        private long declared(VariableElement field, TypeElement type) {
            String name = type.getQualifiedName().toString();
            if (type.getKind() == ElementKind.ENUM) {
                return 0; // enum constants are shared singletons: only the reference is owned
            }
            TypeKind boxed = boxedKind(name);
            if (boxed != null) {
                // a box holds one field, its value; the compiler's view of JDK classes (ct.sym) hides private fields
                int[] size = {primitiveBytes(boxed)};
                return FieldLayoutEngine.extend(layout, FieldLayoutEngine.root(layout), size, new boolean[1])
                        .shape().sizeBytes();
            }
            if (name.equals("java.lang.String")) {
                fieldError(field, "is a String, whose length is unbounded");
                return 0;
            }
            if (isJdk(type) && type.getKind().isClass() && type.getModifiers().contains(Modifier.FINAL)) {
                fieldError(field, "has type " + name + ", a JDK class whose private fields the compiler cannot see "
                        + "(javac compiles against ct.sym), so its size is not known at compile time; hold its "
                        + "state in primitive fields or in a final @StaticSize class");
                return 0;
            }
            if (type.getModifiers().contains(Modifier.SEALED)) {
                long max = 0;
                if (!type.getModifiers().contains(Modifier.ABSTRACT) && type.getKind().isClass()) {
                    if (!requireAnnotated(field, type)) {
                        return 0;
                    }
                    max = deepOf(field, type);
                }
                for (TypeMirror permitted : type.getPermittedSubclasses()) {
                    max = Math.max(max, declared(field, (TypeElement) types.asElement(permitted)));
                }
                return max;
            }
            if (type.getKind().isInterface()) {
                fieldError(field, "has interface type " + name + ", whose implementations are unknown (make it "
                        + "sealed with @StaticSize implementations, or use a final @StaticSize class)");
                return 0;
            }
            if (!type.getModifiers().contains(Modifier.FINAL)) {
                fieldError(field, "has type " + name + ", which is not final, so a subclass of any size may be "
                        + "stored there; make " + type.getSimpleName() + " final (or sealed) and @StaticSize");
                return 0;
            }
            if (!requireAnnotated(field, type)) {
                return 0;
            }
            return deepOf(field, type);
        }

        private long deepOf(VariableElement field, TypeElement type) {
            if (inProgress.contains(type)) {
                fieldError(field, "refers to " + type.getQualifiedName() + ", which contains itself through this "
                        + "field, so its size is unbounded (a recursive type has no static size)");
                return 0;
            }
            return deep(type);
        }

        private boolean requireAnnotated(VariableElement field, TypeElement type) {
            if (annotation(type, STATIC_SIZE) == null) {
                fieldError(field, "has type " + type.getQualifiedName() + ", which is not annotated @StaticSize; "
                        + "annotate it so its size is checked and counted");
                return false;
            }
            String refusal = refusal(type);
            if (refusal != null) {
                fieldError(field, "has type " + type.getQualifiedName() + ", which" + refusal);
                return false;
            }
            return true;
        }

        private int[] fixedLengths(VariableElement field) {
            AnnotationMirror mirror = annotation(field, FIXED_LENGTH);
            if (mirror == null) {
                return null;
            }
            for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e
                    : mirror.getElementValues().entrySet()) {
                if (e.getKey().getSimpleName().contentEquals("value")) {
                    Object v = e.getValue().getValue();
                    if (v instanceof List<?> list) {
                        int[] out = new int[list.size()];
                        for (int i = 0; i < out.length; i++) {
                            out[i] = (Integer) ((AnnotationValue) list.get(i)).getValue();
                        }
                        return out;
                    }
                    return new int[] {(Integer) v};
                }
            }
            return new int[0];
        }

        private void fieldError(VariableElement field, String reason) {
            TypeElement owner = (TypeElement) field.getEnclosingElement();
            String where = owner.equals(root) ? "" : " (in " + owner.getQualifiedName() + ")";
            String message = "@StaticSize " + root.getSimpleName() + ": field '" + field.getSimpleName() + "'"
                    + where + " " + reason + HINT;
            // report on the field when it is compiled from source, else on the annotated class
            error(sourceTypes.contains(owner) ? field : root, message);
        }

        private void classError(String reason) {
            error(root, "@StaticSize " + root.getSimpleName() + ": " + reason + HINT);
        }

        private void error(Element at, String message) {
            messager.printMessage(Diagnostic.Kind.ERROR, message, at);
            failed = true;
        }

        private long add(long a, long b) {
            long sum = a + b;
            if (sum < 0) {
                classError("its deep size overflows a long; reduce the @FixedLength lengths");
                return 0;
            }
            return sum;
        }

        private long multiply(long count, long each) {
            if (each != 0 && count > Long.MAX_VALUE / each) {
                classError("its deep size overflows a long; reduce the @FixedLength lengths");
                return 0;
            }
            return count * each;
        }
    }

    /** Whether only known classes can be stored in a field of this type: final, sealed, or an enum. */
    private static boolean isClosed(TypeElement type) {
        Set<Modifier> modifiers = type.getModifiers();
        return modifiers.contains(Modifier.FINAL) || modifiers.contains(Modifier.SEALED)
                || type.getKind() == ElementKind.ENUM;
    }

    private TypeElement superclass(TypeElement type) {
        TypeMirror s = type.getSuperclass();
        return s.getKind() == TypeKind.NONE ? null : (TypeElement) types.asElement(s);
    }

    private static List<VariableElement> instanceFields(TypeElement type) {
        List<VariableElement> out = new ArrayList<>();
        for (VariableElement f : ElementFilter.fieldsIn(type.getEnclosedElements())) {
            if (!f.getModifiers().contains(Modifier.STATIC)) {
                out.add(f);
            }
        }
        return out;
    }

    private static boolean isJdk(TypeElement type) {
        String name = type.getQualifiedName().toString();
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.")
                || name.startsWith("sun.") || name.startsWith("com.sun.");
    }

    private static boolean isTrivialJdkSuperclass(TypeElement type) {
        String name = type.getQualifiedName().toString();
        return name.equals("java.lang.Object") || name.equals("java.lang.Record");
    }

    private static TypeKind boxedKind(String name) {
        return switch (name) {
            case "java.lang.Boolean" -> TypeKind.BOOLEAN;
            case "java.lang.Byte" -> TypeKind.BYTE;
            case "java.lang.Character" -> TypeKind.CHAR;
            case "java.lang.Short" -> TypeKind.SHORT;
            case "java.lang.Integer" -> TypeKind.INT;
            case "java.lang.Float" -> TypeKind.FLOAT;
            case "java.lang.Long" -> TypeKind.LONG;
            case "java.lang.Double" -> TypeKind.DOUBLE;
            default -> null;
        };
    }

    private static int primitiveBytes(TypeKind kind) {
        return switch (kind) {
            case BOOLEAN, BYTE -> 1;
            case CHAR, SHORT -> 2;
            case INT, FLOAT -> 4;
            case LONG, DOUBLE -> 8;
            default -> throw new AssertionError("not a primitive: " + kind);
        };
    }

    private static Class<?> primitiveClass(TypeKind kind) {
        return switch (kind) {
            case BOOLEAN -> boolean.class;
            case BYTE -> byte.class;
            case CHAR -> char.class;
            case SHORT -> short.class;
            case INT -> int.class;
            case FLOAT -> float.class;
            case LONG -> long.class;
            case DOUBLE -> double.class;
            default -> throw new AssertionError("not a primitive: " + kind);
        };
    }
}
