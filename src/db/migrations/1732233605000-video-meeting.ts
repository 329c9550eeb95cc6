import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** `timebook.video_meeting`: how to join a book's video appointments (timebooks.json `videoMeeting`). */
export class VideoMeetingMigration1732233605000 implements MigrationInterface {
  name = 'VideoMeetingMigration1732233605000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('timebook', new TableColumn({ name: 'video_meeting', type: 'varchar', length: '500', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('timebook', 'video_meeting');
  }
}
