#include "ui/model/server_model.hpp"

#include "engine/units.hpp"

#include <algorithm>

namespace obrol::ui {

void ServerModel::StartRequested(const std::string& bind, std::uint16_t port)
{
    m_state = ServerState::Starting;
    m_bind = bind;
    m_port = port;
    m_stateText = "starting on " + bind + ":" + std::to_string(port) + "...";
}

void ServerModel::SearchSent(const std::string& query)
{
    m_searchQuery = query;
    m_searchResults.clear();
    m_searchPending = true;
}

void ServerModel::StopRequested()
{
    if (m_state == ServerState::Running || m_state == ServerState::Starting)
    {
        m_state = ServerState::Stopping;
        m_stateText = "stopping...";
    }
}

const LogLine& ServerModel::AddLog(LogKind kind, std::string text, std::int64_t timeMs)
{
    m_log.push_back(LogLine{timeMs, kind, std::move(text)});
    if (m_log.size() > MaxLogLines)
    {
        m_log.pop_front();
        ++m_logDropped;
    }
    return m_log.back();
}

void ServerModel::Advance(std::int64_t nowMs)
{
    const std::int64_t second = nowMs / 1000;
    if (m_rateSecond == 0)
        m_rateSecond = second;
    if (second <= m_rateSecond)
        return;
    const std::int64_t shift = std::min<std::int64_t>(second - m_rateSecond, RateSeconds);
    std::rotate(m_rate.begin(), m_rate.begin() + shift, m_rate.end());
    std::fill(m_rate.end() - shift, m_rate.end(), 0.0f);
    m_rateSecond = second;
}

void ServerModel::Count(std::int64_t timeMs)
{
    Advance(timeMs);
    const std::int64_t age = m_rateSecond - timeMs / 1000;
    if (age >= 0 && age < static_cast<std::int64_t>(RateSeconds))
        m_rate[RateSeconds - 1 - static_cast<std::size_t>(age)] += 1.0f;
    ++m_totalMessages;
}

const std::array<float, ServerModel::RateSeconds>& ServerModel::Rate(std::int64_t nowMs)
{
    Advance(nowMs);
    return m_rate;
}

const LogLine* ServerModel::Apply(const net::ServerEvent& e)
{
    using Kind = net::ServerEvent::Kind;
    switch (e.kind)
    {
    case Kind::Started:
        m_state = ServerState::Running;
        m_port = e.port;
        m_bind = e.text;
        m_dataDir = e.address;
        m_storageProblem.clear();
        m_stateText = "running on " + e.text + ":" + std::to_string(e.port);
        return &AddLog(LogKind::Info,
                       "Server started on " + e.text + ":" + std::to_string(e.port) +
                           (e.address.empty() ? " (storing nothing)" : " (archive in " + e.address + ")"),
                       e.timeMs);
    case Kind::StartFailed:
        m_state = ServerState::Stopped;
        m_stateText = "not running: " + e.text;
        return &AddLog(LogKind::Error, "Server could not start: " + e.text, e.timeMs);
    case Kind::Stopped:
        m_state = ServerState::Stopped;
        m_stateText = "stopped";
        m_clients.clear();
        return &AddLog(LogKind::Info, "Server stopped (" + e.text + ")", e.timeMs);
    case Kind::ClientJoined:
    {
        ClientRow row;
        row.sessionId = e.sessionId;
        row.nick = e.nick;
        row.address = e.address;
        row.software = e.text;
        row.sinceMs = e.timeMs;
        m_clients.push_back(std::move(row));
        return &AddLog(LogKind::Join, e.nick + " joined from " + e.address, e.timeMs);
    }
    case Kind::ClientLeft:
        std::erase_if(m_clients, [&](const ClientRow& r) { return r.sessionId == e.sessionId; });
        return &AddLog(LogKind::Leave, e.nick + " left (" + e.text + ")", e.timeMs);
    case Kind::Refused:
        return &AddLog(LogKind::Warning,
                       "Refused " + (e.nick.empty() ? std::string() : "\"" + e.nick + "\" ") + "from " + e.address +
                           ": " + e.text,
                       e.timeMs);
    case Kind::Chat:
    {
        const net::Chat& chat = e.chat;
        switch (chat.kind)
        {
        case net::ChatKind::Public:
        case net::ChatKind::Private:
        case net::ChatKind::Announce:
            break;
        default:
            return nullptr; // joins and leaves are logged from ClientJoined/ClientLeft
        }
        Count(chat.timeMs);
        for (auto& row : m_clients)
            if (row.sessionId == e.sessionId)
                ++row.messages;
        // messages of rooms other than everyone name their room: "#games ana: hi"
        const std::string room = chat.to.IsRoom() && !chat.to.IsEveryone() ? "#" + chat.to.name + " " : std::string();
        if (chat.file)
        {
            const std::string what = chat.text + " (" + engine::FormatSize(chat.file->size) + ", " + chat.file->mime + ")";
            if (chat.kind == net::ChatKind::Public)
                return &AddLog(LogKind::Public, room + chat.from + " sent a file: " + what, chat.timeMs);
            return &AddLog(LogKind::Private, chat.from + " -> " + chat.to.name + " (private file): " + what, chat.timeMs);
        }
        if (chat.kind == net::ChatKind::Public)
            return &AddLog(LogKind::Public, room + chat.from + ": " + chat.text, chat.timeMs);
        if (chat.kind == net::ChatKind::Private)
            return &AddLog(LogKind::Private, chat.from + " -> " + chat.to.name + " (private): " + chat.text, chat.timeMs);
        return &AddLog(LogKind::Announce, "Announcement: " + chat.text, chat.timeMs);
    }
    case Kind::Log:
        return &AddLog(LogKind::Warning, e.text, e.timeMs);
    case Kind::StorageError:
        m_storageProblem = e.text;
        return &AddLog(LogKind::Error, "STORAGE FAILED for " + e.nick + ": " + e.text, e.timeMs);
    case Kind::SearchResults:
        if (e.text == m_searchQuery)
        {
            m_searchResults = e.results;
            m_searchPending = false;
        }
        return nullptr;
    }
    return nullptr;
}

} // namespace obrol::ui
