import type { Database, Queryable } from '../db/database.ts';
import * as repo from '../db/repos/instance-settings.ts';
import {
  isSettingValue,
  SETTING_NAMES,
  settingChanges,
  settingsProblems,
  withOverrides,
  type InstanceSettings,
  type SettingChange,
} from '../domain/instance-settings.ts';
import { AppError } from '../errors.ts';
import type { UserRecord } from '../db/repos/users.ts';

export type { InstanceSettings } from '../domain/instance-settings.ts';
export type { SettingChangeRecord } from '../db/repos/instance-settings.ts';

/** What the use cases read per use: the settings in force now, inside their own transaction when they have one. */
export interface SettingsReader {
  current(q?: Queryable): Promise<InstanceSettings>;
}

/**
 * The instance settings: the environment's values, replaced by whatever an admin saved. Read from
 * the database on every use (one small indexed read), never cached: with several instances on one
 * database, a save applies to all of them at the next request, with nothing to invalidate.
 */
export class InstanceSettingsStore implements SettingsReader {
  constructor(
    private readonly db: Database,
    /** The environment's values: what applies until an admin saves. */
    readonly defaults: InstanceSettings,
  ) {}

  async current(q: Queryable = this.db): Promise<InstanceSettings> {
    const saved = await repo.savedSettings(q);
    const valid = Object.fromEntries(SETTING_NAMES.filter((n) => isSettingValue(n, saved[n])).map((n) => [n, saved[n]]));
    return withOverrides(this.defaults, valid);
  }

  /**
   * Saves what differs from the settings in force, one history row per changed setting. A setting
   * left as it is keeps following its default. Refuses settings that cannot work together (see
   * settingsProblems) with `validation_failed`, each problem under its field.
   */
  async save(admin: Pick<UserRecord, 'id' | 'email'>, next: InstanceSettings): Promise<{ settings: InstanceSettings; changed: SettingChange[] }> {
    const problems = settingsProblems(next);
    if (problems.length) {
      throw new AppError('invalid_request', problems.map((p) => p.message).join(' '), {
        code: 'validation_failed',
        details: { errors: problems.map((p) => ({ path: `body/${p.setting}`, code: p.code, message: p.message })) },
      });
    }
    return this.db.transaction(async (tx) => {
      await repo.lockSettings(tx);
      const before = await this.current(tx);
      const changed = settingChanges(before, next);
      for (const c of changed) {
        await repo.saveSetting(tx, c.setting, next[c.setting], admin.id);
        await repo.recordChange(tx, { name: c.setting, from: c.from, to: c.to, userId: admin.id, email: admin.email });
      }
      return { settings: await this.current(tx), changed };
    });
  }

  changes(limit = 20): Promise<repo.SettingChangeRecord[]> {
    return repo.recentChanges(this.db, limit);
  }
}
