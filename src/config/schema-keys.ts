import type * as z from "zod";

/**
 * The keys a schema allows for the map at `path` (`["targets", 0, "http"]`): what an unknown
 * key there is compared with for "did you mean". Wrappers (optional, nullable, a union of
 * maps) are looked through; a path the schema does not describe gives none.
 */
export function keysAt(schema: z.core.$ZodType, path: readonly (string | number)[]): string[] {
  let nodes = [schema];
  for (const segment of path) {
    nodes = nodes.flatMap((node) => childrenOf(node, segment));
  }
  return [...new Set(nodes.flatMap((node) => Object.keys(shapeOf(node))))];
}

type Def = z.core.$ZodTypeDef & {
  innerType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  in?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
};

/** The node itself and whatever it wraps, down to the maps, lists and leaves. */
function unwrapped(node: z.core.$ZodType): z.core.$ZodType[] {
  const def = node._zod.def as Def;
  const inner = def.innerType ?? def.in;
  if (inner !== undefined) return unwrapped(inner);
  if (def.type === "union" && def.options) return def.options.flatMap(unwrapped);
  return [node];
}

function childrenOf(node: z.core.$ZodType, segment: string | number): z.core.$ZodType[] {
  return unwrapped(node).flatMap((inner) => {
    const def = inner._zod.def as Def;
    if (typeof segment === "number")
      return def.type === "array" && def.element ? [def.element] : [];
    if (def.type === "record" && def.valueType) return [def.valueType];
    const child = shapeOf(inner)[segment];
    return child === undefined ? [] : [child];
  });
}

function shapeOf(node: z.core.$ZodType): Record<string, z.core.$ZodType> {
  return Object.assign(
    {},
    ...unwrapped(node).map((inner) => {
      const def = inner._zod.def as Def;
      return def.type === "object" && def.shape ? def.shape : {};
    }),
  );
}
