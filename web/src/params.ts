// A node's params as its node config describes them (spec rainmaker.md "node config"),
// and the cloud's own value rules (src/model/params.cpp `check_value`), so a bad value is
// refused here with the same text before it is sent.

/** One param of one device, from the node config. */
export interface ParamSpec {
  name: string;
  type?: string;
  data_type: 'bool' | 'int' | 'float' | 'string' | 'object' | 'array';
  properties: string[];
  ui_type?: string;
  bounds?: { min?: number; max?: number; step?: number };
  valid_strs?: string[];
}

/** One device of a node, with its params in config order. */
export interface DeviceSpec {
  name: string;
  type?: string;
  primary?: string;
  params: ParamSpec[];
}

/** The devices of a node config (services are left out: they are not user controls). */
export function devicesOf(config: any): DeviceSpec[] {
  const devices = Array.isArray(config?.devices) ? config.devices : [];
  return devices
    .filter((d: any) => typeof d?.name === 'string')
    .map((d: any) => ({
      name: d.name,
      type: d.type,
      primary: d.primary,
      params: (Array.isArray(d.params) ? d.params : [])
        .filter((p: any) => typeof p?.name === 'string')
        .map((p: any) => ({
          name: p.name,
          type: p.type,
          data_type: p.data_type,
          properties: Array.isArray(p.properties) ? p.properties : [],
          ui_type: p.ui_type,
          bounds: p.bounds,
          valid_strs: p.valid_strs,
        })),
    }));
}

/** Whether users may set the param (its properties include "write"). */
export function writable(p: ParamSpec): boolean {
  return p.properties.includes('write');
}

const STEP_TOLERANCE = 1e-6;

/** Why `value` is refused for `p`, in the cloud's words; null when it is accepted. */
export function problem(p: ParamSpec, value: unknown): string | null {
  switch (p.data_type) {
    case 'bool':
      return typeof value === 'boolean' ? null : 'expected a boolean';
    case 'string':
      if (typeof value !== 'string') return 'expected a string';
      if (p.valid_strs && p.valid_strs.length > 0 && !p.valid_strs.includes(value)) {
        return `"${value}" is not one of ${p.valid_strs.map((s) => `"${s}"`).join(', ')}`;
      }
      return null;
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? null : 'expected an object';
    case 'array':
      return Array.isArray(value) ? null : 'expected an array';
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || Number.isNaN(value)) {
        return p.data_type === 'int' ? 'expected an integer' : 'expected a number';
      }
      if (p.data_type === 'int' && (!Number.isInteger(value) || value < -2147483648 || value > 2147483647)) {
        return Number.isInteger(value) ? `${value} does not fit a 32-bit integer` : 'expected an integer';
      }
      if (!Number.isFinite(value)) return `${value} is not a finite number`;
      const b = p.bounds ?? {};
      if (b.min !== undefined && value < b.min) return `${value} is below the minimum ${b.min}`;
      if (b.max !== undefined && value > b.max) return `${value} is above the maximum ${b.max}`;
      if (b.step !== undefined && b.step > 0) {
        const origin = b.min ?? 0;
        const k = (value - origin) / b.step;
        const tolerance = p.data_type === 'int' ? 1e-9 : STEP_TOLERANCE * Math.max(1, Math.abs(k));
        if (Math.abs(k - Math.round(k)) > tolerance) return `${value} is not on the step ${b.step} from ${origin}`;
      }
      return null;
    }
    default:
      return null;
  }
}
